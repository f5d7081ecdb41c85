import type { DeadLetter, DeadLetters } from '../../application/ports/dead-letters.js';

export class InMemoryDeadLetters implements DeadLetters {
  readonly letters: DeadLetter[] = [];

  async publish(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
  }
}
