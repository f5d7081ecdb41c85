import { Container, type ContainerModule } from 'inversify';
import type { Logger } from '../application/ports/logger.js';
import type { Config, Role } from './config.js';
import { coreModule } from './modules/core-module.js';
import { httpModule } from './modules/http-module.js';
import { memoryModule } from './modules/memory-module.js';
import { relayModule } from './modules/relay-module.js';
import { useCasesModule } from './modules/use-cases-module.js';
import { T, type Service } from './tokens.js';

/** A role is the list of modules it loads; its services are what it runs. */
export function modulesFor(role: Role, config: Config, logger: Logger): ContainerModule[] {
  const core = [coreModule(config, logger), useCasesModule()];
  switch (role) {
    case 'api':
      return [...core, memoryModule(), httpModule(), ...(config.relay.enabled ? [relayModule()] : [])];
    case 'relay':
      return [...core, memoryModule(), relayModule()];
    default:
      throw new Error(`role "${role}" is not available yet`);
  }
}

export interface RunningRole {
  readonly container: Container;
  readonly services: readonly Service[];
  stop(): Promise<void>;
}

/** Builds the container for a role and starts its services in order; stops them in reverse. */
export async function startRole(role: Role, config: Config, logger: Logger): Promise<RunningRole> {
  const container = new Container({ defaultScope: 'Singleton' });
  await container.loadAsync(...modulesFor(role, config, logger));
  const services = container.isBound(T.Service) ? await container.getAllAsync<Service>(T.Service) : [];
  const started: Service[] = [];
  const stop = async (): Promise<void> => {
    for (const service of [...started].reverse()) {
      try {
        await service.stop();
      } catch (error) {
        logger.error('service did not stop cleanly', { service: service.name, error: String(error) });
      }
    }
    await container.unbindAllAsync();
  };
  try {
    for (const service of services) {
      await service.start();
      started.push(service);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { container, services, stop };
}
