/** One FTW (go-ftw / CRS regression) test case, validated from its YAML form. */
export interface FtwTest {
  readonly title: string;
  readonly file: string;
  readonly stages: FtwStage[];
}

export interface FtwStage {
  readonly input: FtwInput;
  readonly output: FtwOutput;
}

export interface FtwInput {
  readonly method: string;
  readonly uri: string;
  readonly version: string;
  readonly headers: [string, string][];
  readonly data?: string;
  readonly stopMagic: boolean;
  /** A whole HTTP request's bytes, sent as is (raw_request UTF-8 encoded, or encoded_request base64-decoded). */
  readonly rawRequest?: Buffer;
}

export interface FtwOutput {
  readonly logContains?: string;
  readonly noLogContains?: string;
  readonly status?: number[];
  readonly expectError?: boolean;
}

export interface FtwResult {
  readonly title: string;
  readonly passed: boolean;
  readonly reason?: string;
}
