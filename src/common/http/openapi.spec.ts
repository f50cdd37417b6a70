import { openApiConfig } from './openapi';

describe('the OpenAPI document', () => {
  it('declares the admin and runtime tokens as plain bearer schemes, without bearerFormat: JWT (they are random strings)', () => {
    const schemes = openApiConfig().components?.securitySchemes ?? {};
    expect(schemes).toEqual({
      admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
      runtime: { type: 'http', scheme: 'bearer', description: 'RUNTIME_TOKEN' },
    });
    expect(JSON.stringify(schemes)).not.toMatch(/bearerFormat|JWT/);
  });
});
