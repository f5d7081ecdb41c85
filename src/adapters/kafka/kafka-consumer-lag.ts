import type { Admin, Kafka } from 'kafkajs';
import type { ConsumerLagProbe } from '../../application/ports/admin-read-model.js';

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/** The notifier group's lag per partition: the topic's end offsets minus the group's committed offsets. */
export class KafkaConsumerLag implements ConsumerLagProbe {
  private admin?: Admin;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topic: string,
  ) {}

  async read(): Promise<PartitionLag[]> {
    const admin = await this.connected();
    try {
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(this.topic), admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] })]);
      const committedBy = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      return ends.map((end) => {
        const done = committedBy.get(end.partition) ?? -1;
        // -1: nothing committed yet; the whole retained partition is still to be read.
        const lag = Number(end.high) - (done >= 0 ? done : Number(end.low));
        return { topic: this.topic, partition: end.partition, lag: Math.max(0, lag) };
      });
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** All partitions together. */
  async total(): Promise<number> {
    return (await this.read()).reduce((sum, p) => sum + p.lag, 0);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async connected(): Promise<Admin> {
    if (this.admin) return this.admin;
    const admin = this.kafka.admin();
    await admin.connect();
    this.admin = admin;
    return admin;
  }
}
