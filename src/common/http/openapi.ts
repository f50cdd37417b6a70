import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { SecuritySchemeObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { APP_VERSION } from '../app-version';

/**
 * A bearer scheme for one token. Declared with addSecurity, not addBearerAuth: that one
 * adds `bearerFormat: 'JWT'`, and logic-ha's tokens are random strings, not JWTs.
 */
const bearer = (description: string): SecuritySchemeObject => ({ type: 'http', scheme: 'bearer', description });

/** The document's metadata and security schemes, apart from the routes (unit-tested alone). */
export function openApiConfig() {
  return new DocumentBuilder()
    .setTitle('logic-ha')
    .setDescription('High availability and disaster recovery for logic-solution deployments')
    .setVersion(APP_VERSION)
    .addSecurity('admin', bearer('ADMIN_TOKEN'))
    .addSecurity('runtime', bearer('RUNTIME_TOKEN'))
    .build();
}

/** OpenAPI document at /docs-json and its UI at /docs; both open, like the health routes. */
export function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(app, openApiConfig());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
