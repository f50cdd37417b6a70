import { Global, Module } from '@nestjs/common';
import { DatabaseTopology } from './database-topology';
import { TopologyFile } from './topology-file';

/** Which server is primary, read before the data source connects. */
@Global()
@Module({ providers: [TopologyFile, DatabaseTopology], exports: [DatabaseTopology, TopologyFile] })
export class DatabaseTopologyModule {}
