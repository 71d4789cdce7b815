// Typed refusals of a buyer's job: each names the rule the job broke, so the host can
// report it and the buyer can fix the job, while nothing is released.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class JobError extends AudataError {
  override name = 'JobError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A job parameter is missing or outside its allowed range. */
export class JobParameterError extends JobError {
  override name = 'JobParameterError' as const;
  constructor(field: string, expected: string, received: string | number) {
    super('JOB_INVALID_PARAMETER', `${field} must be ${expected}; received ${String(received)}.`, {
      details: { field, expected, received },
      hint: 'Fix the job parameters; nothing was run.',
    });
  }
}

/** The ONNX model file is larger than the policy or the enclave allows. */
export class JobModelTooLargeError extends JobError {
  override name = 'JobModelTooLargeError' as const;
  constructor(what: string, limit: number, received: number) {
    super('JOB_MODEL_TOO_LARGE', `The model's ${what} is ${received} bytes, over the ${limit}-byte limit.`, {
      details: { what, limit, received },
      hint: 'Use a smaller model; the enclave refuses to load it.',
    });
  }
}

/** The ONNX bytes are not a well-formed ModelProto. */
export class JobModelMalformedError extends JobError {
  override name = 'JobModelMalformedError' as const;
  constructor(reason: string) {
    super('JOB_MODEL_MALFORMED', `The model is not a well-formed ONNX ModelProto: ${reason}.`, {
      details: { reason },
      hint: 'Export the model again with a standard ONNX exporter.',
    });
  }
}

/** The graph uses an operator outside the allow-list, a custom domain, or an external-data tensor. */
export class JobModelOperatorForbiddenError extends JobError {
  override name = 'JobModelOperatorForbiddenError' as const;
  constructor(domain: string, opType: string, reason: string) {
    super('JOB_MODEL_OPERATOR_FORBIDDEN', `Operator ${domain === '' ? 'ai.onnx' : domain}::${opType} is not allowed: ${reason}.`, {
      details: { domain, opType, reason },
      hint: 'Only standard-domain, bounded, side-effect-free operators run in the enclave (see jobs/README.md).',
    });
  }
}

/** The model's declared inputs or outputs do not match what the job kind feeds and expects. */
export class JobModelShapeMismatchError extends JobError {
  override name = 'JobModelShapeMismatchError' as const;
  constructor(what: string, expected: string, received: string) {
    super('JOB_MODEL_SHAPE_MISMATCH', `${what}: expected ${expected}, received ${received}.`, {
      details: { what, expected, received },
      hint: 'Declare the inputs and outputs the job kind documents, with their element types and shapes.',
    });
  }
}

/** The model ran past its time limit and was terminated. */
export class JobModelTimeoutError extends JobError {
  override name = 'JobModelTimeoutError' as const;
  constructor(limitMs: number) {
    super('JOB_MODEL_TIMEOUT', `The model ran longer than ${limitMs} ms and was stopped.`, {
      details: { limitMs },
      hint: 'Use a cheaper model or a smaller batch.',
    });
  }
}

/** The model's run exceeded the worker's memory limit (or crashed its worker) and was terminated. */
export class JobModelResourceError extends JobError {
  override name = 'JobModelResourceError' as const;
  constructor(reason: string) {
    super('JOB_MODEL_RESOURCES', `The model's run was stopped: ${reason}.`, {
      details: { reason },
      hint: 'Use a smaller model or batch; the enclave caps each run\'s memory.',
    });
  }
}

/** The model ran but failed or returned outputs of the wrong type or size. */
export class JobModelRunError extends JobError {
  override name = 'JobModelRunError' as const;
  constructor(reason: string) {
    super('JOB_MODEL_RUN_FAILED', `The model failed to run: ${reason}.`, { details: { reason } });
  }
}
