import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { BaseWsExceptionFilter } from '@nestjs/websockets';
import { DomainError, TooManyRequestsError, ValidationFailedError } from '../errors';
import { errorBody, ErrorBody } from './error-body';

/** Errors raised by body-parser (http-errors): `expose` marks a message that is safe to show. */
interface ClientHttpError {
  status: number;
  expose: boolean;
  type?: string;
  message: string;
}

function isClientHttpError(error: unknown): error is ClientHttpError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as Partial<ClientHttpError>;
  return (
    candidate.expose === true &&
    typeof candidate.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500
  );
}

const MALFORMED_JSON = 'Malformed JSON in request body';

function fromHttpException(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') return errorBody(status, response);
  const message = (response as { message?: unknown }).message;
  // Nest turns body-parser's SyntaxError into a 400 carrying the parser's text, which quotes the body.
  if (status === 400 && typeof message === 'string' && /\bJSON\b/.test(message)) {
    return errorBody(status, MALFORMED_JSON);
  }
  if (
    typeof message === 'string' ||
    (Array.isArray(message) && message.every((m) => typeof m === 'string'))
  ) {
    return errorBody(status, message);
  }
  return errorBody(status, exception.message);
}

function fromClientHttpError(error: ClientHttpError): ErrorBody {
  if (error.type === 'entity.parse.failed') return errorBody(400, MALFORMED_JSON);
  if (error.type === 'entity.too.large') return errorBody(413, 'Request body is too large');
  return errorBody(error.status, error.message);
}

/** The one place errors become HTTP answers; every body is `{ statusCode, error, message }`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');
  private readonly wsFilter = new BaseWsExceptionFilter();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'ws') {
      this.wsFilter.catch(exception, host);
      return;
    }
    if (host.getType() !== 'http') throw exception;
    const body = this.toBody(exception);
    const response: unknown = host.switchToHttp().getResponse();
    if (exception instanceof TooManyRequestsError) {
      this.adapterHost.httpAdapter.setHeader(response, 'Retry-After', String(exception.retryAfterSeconds));
    }
    this.adapterHost.httpAdapter.reply(response, body, body.statusCode);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof ValidationFailedError) return errorBody(400, exception.messages);
    if (exception instanceof DomainError) return errorBody(exception.statusCode, exception.message);
    if (exception instanceof HttpException) return fromHttpException(exception);
    if (isClientHttpError(exception)) return fromClientHttpError(exception);
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
  }
}
