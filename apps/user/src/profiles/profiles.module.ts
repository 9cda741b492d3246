import { Module } from '@nestjs/common';

import { GrpcModule } from '../grpc/grpc.module';
import { ProfilesController } from './profiles.controller';
import { ProfilesGrpcController } from './profiles.grpc-controller';
import { ProfilesService } from './profiles.service';
import { RegistrationsConsumer } from './registrations.consumer';

@Module({
  imports: [GrpcModule],
  controllers: [ProfilesController, ProfilesGrpcController],
  providers: [ProfilesService, RegistrationsConsumer],
  exports: [ProfilesService],
})
export class ProfilesModule {}
