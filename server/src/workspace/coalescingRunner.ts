// Runs one job per key at a time: a request while the job runs asks for exactly one more run after
// it, so a burst of edits costs at most two checks and the last one sees the newest text.

export class CoalescingRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();

  constructor(
    private readonly job: (key: string) => Promise<void>,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  /** Starts the job for `key`, or joins the running one and queues a re-run. */
  run(key: string): Promise<void> {
    const running = this.running.get(key);
    if (running) {
      this.again.add(key);
      return running;
    }
    const started = (async () => {
      try {
        await this.job(key);
      } catch (error) {
        this.onError(key, error);
      } finally {
        this.running.delete(key);
        if (this.again.delete(key)) void this.run(key);
      }
    })();
    this.running.set(key, started);
    return started;
  }
}
