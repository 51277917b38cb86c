/** The contract's error body. `message` is a list for validation failures, one text otherwise. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * A response's JSON body as the type the test expects. supertest types every body `any`; saying which
 * shape is meant keeps the reads typed, and the test's assertions are what check it.
 */
export function bodyOf<T>(response: { body: unknown }): T {
  return response.body as T;
}

export function errorOf(response: { body: unknown }): ErrorBody {
  return bodyOf<ErrorBody>(response);
}

/** The messages of a validation failure (400), which the contract sends as a list. */
export function messagesOf(response: { body: unknown }): string[] {
  const { message } = errorOf(response);
  if (!Array.isArray(message)) throw new Error(`expected a list of messages, got ${JSON.stringify(message)}`);
  return message;
}

/** The parts of the OpenAPI document (`/docs-json`) the tests read. */
export interface OpenApiDocument {
  paths: Record<string, unknown>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}
