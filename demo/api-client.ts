import type { BatchData, DeploymentData } from './live-view';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ServerBody {
  name: string;
  host: string;
  port: number;
  user: string;
  privateKey: string;
  hostKeyFingerprint: string;
}

export interface ServerRow {
  id: number;
  name: string;
}

export interface ApplicationBody {
  name: string;
  image: string;
  tag: string;
  containerPort: number;
  hostPort: number;
  env?: Record<string, string>;
  healthCheckPath: string;
  serverIds: number[];
  loadBalancer: { type: 'none' };
}

export interface ApplicationRow {
  id: number;
  name: string;
}

/** The rolling-update options the demo sets (CONTRACT.md, "Deployments"). */
export interface RollingUpdateBody {
  batchSize: number;
  batchSizeIsPercentage: boolean;
  waitInterval: number;
  healthCheckTimeout: number;
  healthCheckInterval: number;
  maxHealthCheckRetries: number;
  minimumHealthyInstances: number;
  autoRollbackOnFailure: boolean;
  failureThreshold: number;
}

function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : JSON.stringify(body);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** The REST calls the demo makes, as any client would: bearer token, JSON, errors with their message. */
export class DemoApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  createServer(body: ServerBody): Promise<ServerRow> {
    return this.request('POST', '/api/servers', body);
  }

  listServers(): Promise<ServerRow[]> {
    return this.request('GET', '/api/servers?limit=500');
  }

  deleteServer(id: number): Promise<void> {
    return this.request('DELETE', `/api/servers/${id}`);
  }

  createApplication(body: ApplicationBody): Promise<ApplicationRow> {
    return this.request('POST', '/api/applications', body);
  }

  listApplications(): Promise<ApplicationRow[]> {
    return this.request('GET', '/api/applications?limit=500');
  }

  deleteApplication(id: number): Promise<void> {
    return this.request('DELETE', `/api/applications/${id}`);
  }

  createDeployment(applicationId: number, tag: string): Promise<DeploymentData> {
    return this.request('POST', '/api/deployments', { applicationId, tag });
  }

  startRollingUpdate(id: number, body: RollingUpdateBody): Promise<DeploymentData> {
    return this.request('POST', `/api/deployments/${id}/rolling-update`, body);
  }

  deployment(id: number): Promise<DeploymentData> {
    return this.request('GET', `/api/deployments/${id}`);
  }

  batches(id: number): Promise<BatchData[]> {
    return this.request('GET', `/api/deployments/${id}/batches`);
  }

  deploymentsOf(applicationId: number): Promise<DeploymentData[]> {
    return this.request('GET', `/api/deployments?applicationId=${applicationId}&limit=20`);
  }

  cancelDeployment(id: number): Promise<unknown> {
    return this.request('POST', `/api/deployments/${id}/cancel`);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const parsed = parseBody(text);
    if (!response.ok) {
      throw new ApiError(
        response.status,
        `${method} ${path} answered ${response.status}: ${messageOf(parsed)}`,
      );
    }
    return parsed as T;
  }
}
