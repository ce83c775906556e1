import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { generateSigningKey } from '@tdx/contracts';
import { loadNodeConfig } from './config/environment';
import type { NodeConfig } from './config/node-config';
import { NodeModule } from './node.module';
import { ErrorViewDto } from './common/api-docs';

/** The OpenAPI document of one node's application (served at /api/docs-json). */
export function openApiDocument(app: INestApplication, node: Pick<NodeConfig, 'code' | 'name'>): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`tdx node ${node.code} ${node.name}`)
      .setDescription('Operator API of one tdx node: catalog registration, upward replication, federation status.')
      .setVersion('1')
      .setLicense('UNLICENSED', 'https://choosealicense.com/no-permission/')
      .addServer('/', 'this node')
      // Sign in with POST /api/v1/auth/login and send the access token as a bearer token.
      .addBearerAuth()
      .addSecurityRequirements('bearer')
      // Answered before any route, so possible on every operation.
      .addGlobalResponse({ status: 414, description: 'The URL is longer than MAX_URL_LENGTH.', type: ErrorViewDto })
      .build(),
  );
}

/**
 * The document without a running node: the application is built in Nest's preview mode (modules
 * and routes, no provider created), so neither PostgreSQL nor NATS nor a key file is touched.
 */
export async function previewOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadNodeConfig({
    NODE_CODE: '330000',
    PORT: '8080',
    DATABASE_URL: 'postgres://preview@localhost/preview',
    NATS_URL: 'nats://localhost:4222',
    NODE_KEY_FILE: '/nonexistent/preview.pem',
    ADMIN_PASSWORD: 'Preview-Only-Passw0rd',
  });
  const app = await NestFactory.create(NodeModule.forNode({ ...config, signingKey: generateSigningKey() }), { preview: true, logger: false });
  try {
    return openApiDocument(app, config);
  } finally {
    await app.close();
  }
}
