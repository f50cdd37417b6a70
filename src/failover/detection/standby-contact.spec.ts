import { replicaStatus } from '../../../test/support/fake-server-probe';
import { StandbyContact } from './standby-contact';

describe('StandbyContact', () => {
  it('counts the first sight of a connected IO thread as contact', () => {
    const contact = new StandbyContact();
    contact.observe(1000, replicaStatus());
    expect(contact.silenceMs(1500)).toBe(500);
  });

  it('renews contact when a heartbeat or an event arrives, not when nothing moves', () => {
    const contact = new StandbyContact();
    contact.observe(0, replicaStatus({ receivedHeartbeats: 1 }));
    contact.observe(1000, replicaStatus({ receivedHeartbeats: 1 }));
    expect(contact.silenceMs(2000)).toBe(2000);
    contact.observe(2000, replicaStatus({ receivedHeartbeats: 2 }));
    expect(contact.silenceMs(2500)).toBe(500);
    contact.observe(3000, replicaStatus({ receivedHeartbeats: 2, gtidIoPosition: '0-1-11' }));
    expect(contact.silenceMs(3000)).toBe(0);
  });

  it('has no contact while the IO thread is not connected or the standby is unreachable', () => {
    const contact = new StandbyContact();
    contact.observe(0, replicaStatus());
    contact.observe(1000, replicaStatus({ ioRunning: 'Connecting' }));
    expect(contact.silenceMs(1000)).toBeUndefined();
    contact.observe(2000, null);
    expect(contact.silenceMs(2000)).toBeUndefined();
  });
});
