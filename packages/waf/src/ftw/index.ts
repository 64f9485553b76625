export { loadFtwDocument } from './load';
export { runFtwTest, runRequest, buildRequest, formatLog } from './run';
export { loadFtwSuite, runFtwFamily, type FtwFamily, type FamilyReport } from './suite';
export type { FtwTest, FtwStage, FtwInput, FtwOutput, FtwResult } from './types';
