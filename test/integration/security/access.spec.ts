import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import request from 'supertest';
import { ACCESS_METADATA, Public } from '../../../src/common/auth/access.decorators';
import { TeamId } from '../../../src/common/auth/team-id.decorator';
import { AuthModule } from '../../../src/common/auth/auth.module';
import { configureHttpApp } from '../../../src/common/http/configure-http-app';
import { AppConfig } from '../../../src/config/app-config';
import { AppConfigModule } from '../../../src/config/config.module';
import { DatabaseModule } from '../../../src/database/database.module';
import { bearer } from '../support/app';
import { bodyOf } from '../support/bodies';
import { createTestDatabase } from '../support/database';
import { testConfig } from '../queue/test-redis';
import { applicationBody, serverBody } from '../api/api-fixtures';
import { startFullApp, type FullApp } from './full-app';

jest.setTimeout(120_000);

/** What a create answers, as far as these tests read it. */
interface Created {
  id: number;
}

interface Route {
  method: string;
  path: string;
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every route the application's router really has (middleware mounted for all methods left out). */
function registeredRoutes(f: FullApp): Route[] {
  const express = f.app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } };
  return express.router.stack.flatMap((layer) => {
    if (!layer.route) return [];
    const methods = Object.keys(layer.route.methods).filter((method) => method !== '_all');
    const [method] = methods;
    if (methods.length !== 1 || method === undefined) return [];
    return [{ method: method.toUpperCase(), path: layer.route.path }];
  });
}

/** Served without a token: health, metrics (no METRICS_TOKEN here) and the OpenAPI documentation. */
const PUBLIC = /^\/(health|metrics|docs(-json|-yaml|\/.*)?)$/;

/** Raw HTTP/1.1 so that the request target can be spelled any way at all (absolute form included). */
function rawRequest(
  port: number,
  requestLine: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on('error', reject);
    const lines = [requestLine, 'Host: 127.0.0.1', 'Connection: close', 'Content-Length: 2'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.write(`${lines.join('\r\n')}\r\nContent-Type: application/json\r\n\r\n{}`);
  });
}

/** Ways to spell the same path that a router or a proxy might treat as equal. */
function spellings(path: string): string[] {
  const upper = path.toUpperCase();
  const mixed = path.replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c));
  const encodedLetter = path.replace(
    /\/api\/([a-z])/,
    (_m, c: string) => `/api/%${c.charCodeAt(0).toString(16)}`,
  );
  const encodedUpper = path.replace(
    /\/api\/([a-z])/,
    (_m, c: string) => `/api/%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return [
    path,
    upper,
    mixed,
    `${path}/`,
    `/${path}`,
    path.replace('/api/', '/api//'),
    path.replace('/api/', '/api/./'),
    path.replace('/api/', '/api/x/../'),
    path.replace('/api/', '/./api/'),
    `${path};x=1`,
    path.replace('/api/', '/api;x=1/'),
    encodedLetter,
    encodedUpper,
    path.replace('/api/', '/%61pi/'),
    path.replace('/api/', '/api%2F'),
    `${path}?x=/health`,
    `${path}#/health`,
    `${path}%00`,
  ];
}

describe('deny by default, for every route the application registers', () => {
  let f: FullApp;
  let routes: Route[];
  let owner: { token: string; teamId: number };
  let outsider: { token: string };
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    f = await startFullApp();
    routes = registeredRoutes(f);
    owner = await f.token('owners');
    outsider = await f.token('outsiders');
    const server = await f.http.post('/api/servers').set(bearer(owner.token)).send(serverBody());
    const application = await f.http
      .post('/api/applications')
      .set(bearer(owner.token))
      .send(applicationBody([bodyOf<Created>(server).id]));
    const deployment = await f.http
      .post('/api/deployments')
      .set(bearer(owner.token))
      .send({ applicationId: bodyOf<Created>(application).id, tag: 'v2' });
    expect([server.status, application.status, deployment.status]).toEqual([201, 201, 201]);
    ids.servers = bodyOf<Created>(server).id;
    ids.applications = bodyOf<Created>(application).id;
    ids.deployments = bodyOf<Created>(deployment).id;
  });
  afterAll(() => f?.close());

  /** The route with `:id` filled in by the owners' resource of that collection. */
  function concrete(route: Route): string {
    const collection = /^\/api\/([a-z]+)/.exec(route.path)?.[1] ?? '';
    return route.path.replace(':id', String(ids[collection] ?? 1));
  }

  function protectedRoutes(): Route[] {
    return routes.filter((route) => !PUBLIC.test(route.path));
  }

  it('finds the routes from the router, and the public ones are exactly health, metrics and the docs', () => {
    expect(protectedRoutes().length).toBeGreaterThanOrEqual(17);
    expect(protectedRoutes().every((route) => route.path.startsWith('/api/'))).toBe(true);
    const publicPaths = routes.filter((route) => PUBLIC.test(route.path)).map((route) => route.path);
    expect(publicPaths).toEqual(expect.arrayContaining(['/health', '/metrics', '/docs-json']));
  });

  it('has an access decision on every handler of every controller', () => {
    const undecided: string[] = [];
    for (const module of f.app.get(ModulesContainer).values()) {
      for (const wrapper of module.controllers.values()) {
        const type = wrapper.metatype as (new (...args: never[]) => unknown) | null;
        if (!type) continue;
        const prototype = type.prototype as Record<string, unknown>;
        for (const name of Object.getOwnPropertyNames(prototype)) {
          const handler = prototype[name];
          if (name === 'constructor' || typeof handler !== 'function') continue;
          if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
          const decided: unknown =
            Reflect.getMetadata(ACCESS_METADATA, handler) ?? Reflect.getMetadata(ACCESS_METADATA, type);
          if (!decided) undecided.push(`${type.name}.${name}`);
        }
      }
    }
    expect(undecided).toEqual([]);
  });

  it('answers every protected route 401 without a token, however its path is spelled', async () => {
    const answers: string[] = [];
    for (const route of protectedRoutes()) {
      for (const target of spellings(concrete(route))) {
        const status = await rawRequest(f.port, `${route.method} ${target} HTTP/1.1`);
        // 404 is a spelling that is no route at all; anything else would be a way in.
        if (status !== 401 && status !== 404 && status !== 400)
          answers.push(`${status} ${route.method} ${target}`);
      }
      // The canonical spelling, its case variants and a trailing slash reach the route: 401, not 404.
      for (const target of spellings(concrete(route)).slice(0, 4)) {
        const status = await rawRequest(f.port, `${route.method} ${target} HTTP/1.1`);
        if (status !== 401) answers.push(`${status} (expected 401) ${route.method} ${target}`);
      }
    }
    expect(answers).toEqual([]);
  });

  it('answers 401 to absolute-form request lines, whatever the host in them', async () => {
    const answers: string[] = [];
    for (const route of protectedRoutes()) {
      for (const authority of ['http://anything', 'http://127.0.0.1', 'HTTP://LOCALHOST:1']) {
        const target = `${authority}${concrete(route)}`;
        const status = await rawRequest(f.port, `${route.method} ${target} HTTP/1.1`);
        if (status !== 401) answers.push(`${status} ${route.method} ${target}`);
      }
    }
    expect(answers).toEqual([]);
  });

  it('answers 401 to a wrong token and to credentials in other places (query, cookie, basic)', async () => {
    const answers: string[] = [];
    const attempts: Record<string, string>[] = [
      { Authorization: `Bearer rlt_${'A'.repeat(43)}` },
      { Authorization: `bearer ${owner.token}x` },
      { Authorization: `Basic ${Buffer.from(`x:${owner.token}`).toString('base64')}` },
      { Cookie: `token=${owner.token}` },
      { 'X-Api-Token': owner.token },
    ];
    for (const route of protectedRoutes()) {
      for (const headers of attempts) {
        const status = await rawRequest(
          f.port,
          `${route.method} ${concrete(route)}?token=${owner.token} HTTP/1.1`,
          headers,
        );
        if (status !== 401)
          answers.push(`${status} ${route.method} ${concrete(route)} ${Object.keys(headers)[0]}`);
      }
    }
    expect(answers).toEqual([]);
  });

  it("answers another team's admin token 404 on every route that names an id of the owners", async () => {
    const answers: string[] = [];
    for (const route of protectedRoutes().filter((r) => r.path.includes(':id'))) {
      for (const target of spellings(concrete(route)).slice(0, 4)) {
        const response = await f.http[route.method.toLowerCase() as 'get' | 'post' | 'delete'](target)
          .set(bearer(outsider.token))
          .send({});
        if (response.status !== 404) answers.push(`${response.status} ${route.method} ${target}`);
      }
    }
    expect(answers).toEqual([]);
  });

  it("never lists the owners' resources to another team, and the owners' resources survive all of the above", async () => {
    for (const collection of ['servers', 'applications', 'deployments']) {
      const response = await f.http.get(`/api/${collection}`).set(bearer(outsider.token));
      expect(response.status).toBe(200);
      expect(response.body).toEqual([]);
      const own = await f.http.get(`/api/${collection}/${ids[collection]}`).set(bearer(owner.token));
      expect(own.status).toBe(200);
    }
  });

  it('ignores X-HTTP-Method-Override and friends: a GET stays a GET', async () => {
    const readOnly = await f.token('owners', { scope: 'read' });
    for (const header of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
      const response = await f.http
        .get(`/api/servers/${ids.servers}?_method=DELETE`)
        .set(bearer(readOnly.token))
        .set(header, 'DELETE');
      expect(response.status).toBe(200);
      const unauthenticated = await f.http.post('/api/servers').set(header, 'GET').send({});
      expect(unauthenticated.status).toBe(401);
    }
    expect((await f.http.get(`/api/servers/${ids.servers}`).set(bearer(owner.token))).status).toBe(200);
  });

  it('serves /health and /metrics without a token', async () => {
    expect((await f.http.get('/health')).status).toBe(200);
    expect((await f.http.get('/metrics')).status).toBe(200);
  });
});

describe('a handler without an access decision, or public yet reading the team', () => {
  @Controller('rogue')
  class RogueController {
    @Get()
    open(): { secret: string } {
      return { secret: 'should never be served' };
    }

    // Public by mistake, yet reading the team: a 500, never a query without the team filter.
    @Public()
    @Get('team')
    team(@TeamId() teamId: number): { teamId: number } {
      return { teamId };
    }
  }

  @Module({ controllers: [RogueController] })
  class RogueModule {}

  it('is refused with 500, never served', async () => {
    const db = await createTestDatabase();
    const config: AppConfig = testConfig({ DATABASE_URL: db.url });
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [AppConfigModule, DatabaseModule, AuthModule, RogueModule],
      })
        .overrideProvider(AppConfig)
        .useValue(config)
        .compile();
      const app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
      configureHttpApp(app);
      await app.init();
      try {
        const response = await request(app.getHttpServer()).get('/api/rogue');
        expect(response.status).toBe(500);
        expect(response.text).not.toContain('should never be served');
        const team = await request(app.getHttpServer()).get('/api/rogue/team');
        expect(team.status).toBe(500);
        expect(team.body).toEqual({
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'Internal server error',
        });
      } finally {
        await app.close();
      }
    } finally {
      await db.drop();
    }
  });
});
