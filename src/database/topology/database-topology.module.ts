import { Global, Module } from '@nestjs/common';
import { DatabaseTopology } from './database-topology';
import { FileTopologyStore } from './file-topology.store';
import { TopologyFile } from './topology-file';
import { EXTERNAL_TOPOLOGY_STORE, TopologyStore } from './topology-store';

/**
 * Which server is primary, read before the data source connects. The topology lives in
 * the file in DATA_DIR unless the cluster feature provides its etcd store.
 */
@Global()
@Module({
  providers: [
    TopologyFile,
    {
      provide: TopologyStore,
      inject: [TopologyFile, { token: EXTERNAL_TOPOLOGY_STORE, optional: true }],
      useFactory: (file: TopologyFile, external?: TopologyStore) => external ?? new FileTopologyStore(file),
    },
    DatabaseTopology,
  ],
  exports: [DatabaseTopology, TopologyFile, TopologyStore],
})
export class DatabaseTopologyModule {}
