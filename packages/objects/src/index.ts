export { DiagnosticSink, ObjectValidationError, formatDiagnostic, unwrap, type Diagnostic, type ValidationResult } from './diagnostics';
export {
  decodeBoolean, decodeInteger, decodeList, decodeObject, decodePort, decodeSelector, decodeString, decodeStringList, decodeStringMap, describe, type Json,
} from './decode';
export { decodeEnvelope, isDnsLabel, typeOf, type Envelope, type EnvelopeOptions, type ObjectMeta } from './envelope';
