import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APP_VERSION } from '../../system/app-version';

/** OpenAPI document at /docs-json and its UI at /docs; both open, like the health routes. */
export function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('logic-ha')
      .setDescription('High availability and disaster recovery for logic-solution deployments')
      .setVersion(APP_VERSION)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'RUNTIME_TOKEN' }, 'runtime')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
