import type { UserRegistered } from '@emporium/contracts';
import { CloudEvent, HandlerContext, MessageConsumer, OnEvent } from '@emporium/platform/messaging';
import { Injectable } from '@nestjs/common';

import { ProfilesService } from './profiles.service';

/**
 * Queue `user.profiles`: a profile for every account auth creates. Idempotent twice over: the messaging
 * inbox drops a redelivered event, and the insert itself does nothing for an id that already has a profile.
 * Every replica shares the queue, and messages wait in it while the service is down.
 */
@Injectable()
@MessageConsumer('profiles')
export class RegistrationsConsumer {
  constructor(private readonly profiles: ProfilesService) {}

  @OnEvent('user.registered')
  async onUserRegistered(event: CloudEvent<UserRegistered>, { manager }: HandlerContext): Promise<void> {
    await this.profiles.createFromRegistration(manager, event.data);
  }
}
