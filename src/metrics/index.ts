/** The metrics feature's public face (see src/backup/index.ts). */
export { MetricsModule } from './metrics.module';
export { isLoopbackAddress } from './metrics-access';
