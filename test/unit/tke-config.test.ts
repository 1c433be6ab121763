import { parse as parseToml } from '@iarna/toml';
import { load } from 'js-yaml';
import { renderInstall } from '../../src/render';
import { applyTkeConfigEdit } from '../../src/render/tke';
import { receiveRemoteWriteAddress, setThanosFeatures } from '../../src/render/tke/controller-toml';
import { setThanosMonitorStorage, THANOS_QUERY_ADDRESS } from '../../src/render/tke/monitor-config';
import { fixtureText, patched, requestFixture, settingsFor } from './helpers';

const REMOTE_WRITE = 'http://127.0.2.10:31141';

/** A parsed document without the keys an edit is allowed to change. */
function withoutKeys(document: Record<string, unknown>, table: string, keys: readonly string[]): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(document)) as Record<string, Record<string, unknown>>;
  for (const key of keys) delete copy[table]?.[key];
  if (copy[table] !== undefined && Object.keys(copy[table]).length === 0) delete copy[table];
  return copy;
}

const FEATURE_KEYS = ['monitor_storage_type', 'monitor_storage_addresses'];

describe('the remote-write address', () => {
  it("is receive's NodePort on GLOBAL_NODE_IP, never the in-cluster Query address", () => {
    expect(receiveRemoteWriteAddress(settingsFor(requestFixture('ha-request.json')))).toBe(REMOTE_WRITE);
    const custom = settingsFor(patched({ 'config.monitor.thanos.nodePorts': { receiveRemoteWrite: 30141 } }));
    expect(receiveRemoteWriteAddress(custom)).toBe('http://127.0.1.1:30141');
  });

  it('is what both controller TOML files get, while both monitor configs get Query', () => {
    const install = renderInstall(settingsFor(requestFixture('ha-request.json')));
    for (const edit of install.tkeConfigEdits) {
      const original = fixtureText(edit.key === 'tke-monitor-config.yaml' ? 'tke/tke-monitor-config.controller.yaml' : `tke/${edit.key}`);
      const updated = applyTkeConfigEdit(edit, original);
      if (edit.key.endsWith('.toml')) {
        expect(parseToml(updated).features).toEqual({ monitor_storage_type: 'thanos', monitor_storage_addresses: REMOTE_WRITE });
      } else {
        expect(load(updated)).toMatchObject({ storage: { thanos: { servers: [{ address: THANOS_QUERY_ADDRESS }] } } });
      }
    }
  });
});

describe('tke-monitor-config.yaml', () => {
  it('points at the Query Service the TKE docs name', () => {
    expect(THANOS_QUERY_ADDRESS).toBe('http://thanos-query.tke.svc.cluster.local:9090');
  });

  it.each(['tke/tke-monitor-config.controller.yaml', 'tke/tke-monitor-config.api.yaml'])(
    'in %s gets exactly the Thanos backend, every other key kept',
    (fixture) => {
      const original = fixtureText(fixture);
      const updated = setThanosMonitorStorage(original, THANOS_QUERY_ADDRESS);
      const [before, after] = [load(original), load(updated)] as Record<string, unknown>[];
      expect(after!.storage).toEqual({ thanos: { servers: [{ address: THANOS_QUERY_ADDRESS }] } });
      expect(Object.keys(after!)).toEqual(Object.keys(before!));
      expect({ ...after, storage: undefined }).toEqual({ ...before, storage: undefined });
    },
  );

  it('keeps keys it does not know, and adds storage when there was none', () => {
    const original = 'apiVersion: monitor.config.tkestack.io/v1\nkind: MonitorConfiguration\nextra:\n  when: 2021-03-03\n  ratio: 1.5\n';
    const before = load(original) as Record<string, unknown>;
    const updated = load(setThanosMonitorStorage(original, THANOS_QUERY_ADDRESS)) as Record<string, unknown>;
    expect(Object.keys(updated)).toEqual(['apiVersion', 'kind', 'extra', 'storage']);
    expect(updated.extra).toEqual(before.extra);
  });

  it('refuses a file that is not a MonitorConfiguration mapping', () => {
    expect(() => setThanosMonitorStorage('- a\n- b\n', THANOS_QUERY_ADDRESS)).toThrow(/not a YAML mapping/);
  });
});

describe('controller TOML', () => {
  it('in tke-platform-controller.toml changes only the two feature lines', () => {
    const original = fixtureText('tke/tke-platform-controller.toml');
    const updated = setThanosFeatures(original, REMOTE_WRITE);
    const changed = original.split('\n').flatMap((line, index) => (updated.split('\n')[index] === line ? [] : [line]));
    expect(changed).toEqual([
      'monitor_storage_type = "influxdb"',
      'monitor_storage_addresses = "http://127.0.3.5:8086&u=admin&p=influxpass"',
    ]);
    expect(withoutKeys(parseToml(updated), 'features', FEATURE_KEYS)).toEqual(
      withoutKeys(parseToml(original), 'features', FEATURE_KEYS),
    );
  });

  it('in tke-monitor-controller.toml, which has no [features], gains the table at the end', () => {
    const original = fixtureText('tke/tke-monitor-controller.toml');
    const updated = setThanosFeatures(original, REMOTE_WRITE);
    expect(updated.startsWith(original.trimEnd())).toBe(true);
    expect(updated.slice(original.trimEnd().length)).toBe(
      `\n\n[features]\nmonitor_storage_type = "thanos"\nmonitor_storage_addresses = "${REMOTE_WRITE}"\n`,
    );
    expect(withoutKeys(parseToml(updated), 'features', FEATURE_KEYS)).toEqual(parseToml(original));
  });

  it('keeps comments, formatting and value types a parse-and-print would lose', () => {
    const original = [
      '# written by tke-installer',
      'ratio = 1.0',
      '[features]   # storage backend',
      '  monitor_storage_type = "influxdb"  # old',
      '  other = { inline = true }',
      '[after]',
      'x = 1',
    ].join('\n');
    expect(setThanosFeatures(original, REMOTE_WRITE)).toBe(
      [
        '# written by tke-installer',
        'ratio = 1.0',
        '[features]   # storage backend',
        '  monitor_storage_type = "thanos"',
        '  other = { inline = true }',
        `  monitor_storage_addresses = "${REMOTE_WRITE}"`,
        '[after]',
        'x = 1',
      ].join('\n'),
    );
  });

  it('keeps Windows line endings and a missing final newline', () => {
    const original = '[features]\r\nmonitor_storage_type = ""';
    expect(setThanosFeatures(original, REMOTE_WRITE)).toBe(
      `[features]\r\nmonitor_storage_type = "thanos"\r\nmonitor_storage_addresses = "${REMOTE_WRITE}"`,
    );
  });

  it('is not fooled by look-alike lines inside multi-line strings', () => {
    const original = [
      'banner = """',
      '[features]',
      'monitor_storage_type = "not a key"',
      '"""',
      '[features]',
      'monitor_storage_type = "influxdb"',
      '',
    ].join('\n');
    const updated = parseToml(setThanosFeatures(original, REMOTE_WRITE));
    expect(updated.banner).toBe('[features]\nmonitor_storage_type = "not a key"\n');
    expect(updated.features).toEqual({ monitor_storage_type: 'thanos', monitor_storage_addresses: REMOTE_WRITE });
  });

  it('refuses layouts it cannot edit in place rather than corrupting them', () => {
    expect(() => setThanosFeatures('features = { monitor_storage_type = "influxdb" }\n', REMOTE_WRITE)).toThrow(
      /cannot set \[features\]/,
    );
    expect(() => setThanosFeatures('[features\n', REMOTE_WRITE)).toThrow(/controller TOML is not valid/);
  });
});
