export { CHAINS, DEFAULT_CAPTURE, captureRules, cleanupRules, type CaptureOptions, type IpFamily } from './rules';
export { applyCapture, removeCapture } from './apply';
export { OriginalDestinationError, originalDestination, type OriginalDestination } from './original-destination';
