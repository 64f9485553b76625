export { compileOpenApi, OpenApiChecker, type CheckerOptions, type CheckResult, type HeadCheck, type PendingBody, type Rejection, type RequestHead } from './checker';
export { OpenApiDocumentError } from './document';
