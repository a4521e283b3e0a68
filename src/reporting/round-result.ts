/**
 * One round of federated training as the reporters see it. The training loop
 * builds these; the table, the JSON file and the chart only read them, so a
 * run can be reported again later from its saved JSON.
 */
export interface RoundResult {
  /** 1-based. */
  readonly round: number;
  /** Mean training loss over participants; NaN when no worker took part. */
  readonly trainLoss: number;
  /** In [0, 1]. */
  readonly trainAccuracy?: number;
  /** In [0, 1]. */
  readonly testAccuracy?: number;
  readonly testLoss?: number;
  /** Ids of the workers whose updates were averaged. */
  readonly participants: readonly string[];
  /** Workers left out of the average because they failed or timed out. */
  readonly excluded: readonly { readonly worker: string; readonly reason: string }[];
  /** Wall time of the round. */
  readonly seconds: number;
  /** ε spent so far (user-level DP-FedAvg), at the run's δ. */
  readonly epsilon?: number;
}
