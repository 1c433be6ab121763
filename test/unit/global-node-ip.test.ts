import { renderInstall } from '../../src/render';
import { patched, requestFixture, settingsFor } from './helpers';

describe('GLOBAL_NODE_IP', () => {
  it("is TKE's HA virtual IP when one is configured", () => {
    expect(settingsFor(requestFixture('ha-request.json')).globalNodeIp).toEqual({ address: '127.0.2.10', source: 'tke-ha-vip' });
  });

  it('prefers the TKE VIP over a third-party one, as tke-installer does', () => {
    const request = patched({ 'config.ha.thirdParty': { vip: '127.0.2.20' } }, 'ha-request.json');
    expect(settingsFor(request).globalNodeIp.address).toBe('127.0.2.10');
  });

  it('is the third-party load balancer VIP otherwise, with a note to forward the NodePorts', () => {
    const settings = settingsFor(patched({ 'config.ha': { thirdParty: { vip: '127.0.2.20', vport: 6443 } } }));
    expect(settings.globalNodeIp).toEqual({ address: '127.0.2.20', source: 'third-party-ha-vip' });
    expect(renderInstall(settings).notes).toContainEqual(expect.stringMatching(/must forward TCP ports 31139, 31140, 31141/));
  });

  it('falls back to the first machine only without HA', () => {
    const request = patched({
      'cluster.spec.machines': [{ ip: '127.0.1.7' }, { ip: '127.0.1.8' }],
      'config.ha': {},
    });
    expect(settingsFor(request).globalNodeIp).toEqual({ address: '127.0.1.7', source: 'first-machine' });
  });
});
