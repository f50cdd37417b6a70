import { type AppConfig } from './app-config';
import { loadAppConfig } from './app-config.factory';
import { ConfigValidationError } from './config-validation.error';

/** Exit code for a configuration error, distinct from a crash (1). */
export const EXIT_CONFIG_ERROR = 78; // EX_CONFIG from sysexits.h

/** Loads the configuration or stops the process with one message listing every problem. */
export function loadAppConfigOrExit(environment: NodeJS.ProcessEnv): AppConfig {
  try {
    return loadAppConfig(environment);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`logic-ha: ${error.message}\n`);
    process.exit(EXIT_CONFIG_ERROR);
  }
}
