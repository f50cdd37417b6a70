import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { ClusterStatusService } from './cluster-status.service';

@ApiTags('cluster')
@ApiBearerAuth('admin')
@Access(AccessScope.Admin)
@Controller('api/v1/cluster')
export class ClusterController {
  constructor(private readonly status: ClusterStatusService) {}

  @Get()
  @ApiOperation({
    summary: 'The leader, each node (id, address, version, last seen), the lease, and whether this node may write',
  })
  getStatus() {
    return this.status.status();
  }

  @Get('peer')
  @ApiOperation({ summary: 'What this node tells a peer checking the failsafe: epoch, etcd contact, leading' })
  peer() {
    return this.status.peerReport();
  }
}
