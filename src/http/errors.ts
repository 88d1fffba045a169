import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { PurseError, type ErrorCode } from '../service/errors.js';

/** The one map from error code to HTTP status. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  insufficient_credits: 402,
  spend_limit_reached: 402,
  report_limit_reached: 402,
  forbidden: 403,
  not_found: 404,
  idempotency_conflict: 409,
  generation_settled: 409,
  already_reported: 409,
  report_window_closed: 409,
  invalid_state: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  too_many_in_flight: 429,
  internal_error: 500,
  unavailable: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
  requestId: string;
}

/** Turns whatever was thrown into the closed error shape; unknown errors become 500s and are logged. */
export function toErrorBody(err: unknown, requestId: string): { status: number; body: ErrorBody } {
  const purse = asPurseError(err);
  const error: ErrorBody['error'] = { code: purse.code, message: purse.message };
  if (purse.details) error.details = purse.details;
  return { status: STATUS_BY_CODE[purse.code], body: { error, requestId } };
}

function asPurseError(err: unknown): PurseError {
  if (err instanceof PurseError) return err;
  const e = err as FastifyError & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(e)) {
    const first = e.validation[0]!;
    const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const where = e.validationContext ?? 'body';
    const field = path || where;
    const fields = e.validation.map((v) => v.instancePath.replace(/^\//, '').replaceAll('/', '.') || where);
    return new PurseError('invalid_request', `${field}: ${first.message}`, { field, location: where, fields: [...new Set(fields)] });
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PurseError('payload_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new PurseError('unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new PurseError('invalid_request', 'body: a JSON body was announced but none was sent', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new PurseError('invalid_request', 'body: the body is not valid JSON', { field: 'body' });
    case 'FST_ERR_BAD_URL':
      return new PurseError('invalid_request', 'path: is not a valid URL (bad percent-encoding)', { field: 'path' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new PurseError('invalid_request', 'path: a path segment is longer than any id Purse accepts (128 characters)', { field: 'path' });
  }
  if (e instanceof SyntaxError || (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
    return new PurseError('invalid_request', `body: ${e.message}`, { field: 'body' });
  }
  return new PurseError('internal_error', 'something went wrong on our side; it has been logged');
}

export function sendError(reply: FastifyReply, request: FastifyRequest, err: unknown): FastifyReply {
  const { status, body } = toErrorBody(err, request.id);
  if (status >= 500) request.log.error({ err }, 'request failed');
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}
