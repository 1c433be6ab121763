import { parse as parseToml } from '@iarna/toml';
import { load } from 'js-yaml';
import { renderInstall } from '../../src/render';
import { applyTkeConfigEdit, tkeConfigEdits, tkeConfigTargets, type TkeConfigEdit } from '../../src/render/tke';
import { newBackupData, recordWritten, restoreDecision, type TkeConfigBackup } from '../../src/render/tke/backup';
import { receiveRemoteWriteAddress, setThanosFeatures } from '../../src/render/tke/controller-toml';
import { setThanosMonitorStorage, THANOS_QUERY_ADDRESS } from '../../src/render/tke/monitor-config';
import { leftKeyNote, restoreSummary } from '../../src/workflows/removal';
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

describe('restoring a key from the backup', () => {
  const QUERY = 'http://thanos-query.tke.svc.cluster.local:9090';
  const edits = tkeConfigEdits(QUERY, REMOTE_WRITE);
  const [apiMonitor, , monitorToml] = edits as [TkeConfigEdit, TkeConfigEdit, TkeConfigEdit, TkeConfigEdit];
  const original = (edit: TkeConfigEdit) =>
    fixtureText(edit.key === 'tke-monitor-config.yaml' ? 'tke/tke-monitor-config.api.yaml' : `tke/${edit.key}`);
  const originals = newBackupData(edits.map((target) => ({ target, text: original(target) })));
  /** A backup as this release makes it, having written each edit's text. */
  const recorded = (): TkeConfigBackup => {
    const data = { ...originals };
    for (const edit of edits) Object.assign(data, recordWritten(data, edit, applyTkeConfigEdit(edit, original(edit))));
    return { recordsWritten: true, data };
  };
  /** A backup as the first release made it: originals only. */
  const earlier: TkeConfigBackup = { recordsWritten: false, data: originals };

  it('puts the original back, byte for byte, over exactly what the installer wrote', () => {
    for (const edit of edits) {
      const written = applyTkeConfigEdit(edit, original(edit));
      expect(restoreDecision(recorded(), edit, written)).toEqual({ kind: 'restore', original: original(edit) });
    }
  });

  it('leaves a key someone changed since, even by one byte, saying why', () => {
    const written = applyTkeConfigEdit(monitorToml, original(monitorToml));
    for (const changed of [`${written}\n`, written.replace('thanos', 'influxdb'), written.replace(REMOTE_WRITE, 'http://10.0.0.9:31141')]) {
      expect(restoreDecision(recorded(), monitorToml, changed)).toEqual({ kind: 'left', reason: 'it was changed after the installer wrote it' });
    }
    expect(restoreDecision(recorded(), monitorToml, undefined)).toEqual({ kind: 'left', reason: 'it was removed after the install changed it' });
  });

  it('finds a key that holds its original already, and leaves one the installer never wrote', () => {
    expect(restoreDecision(recorded(), apiMonitor, original(apiMonitor))).toEqual({ kind: 'original' });
    const nothingWritten: TkeConfigBackup = { recordsWritten: true, data: originals };
    expect(restoreDecision(nothingWritten, apiMonitor, 'storage: {}\n')).toEqual({
      kind: 'left',
      reason: 'it was changed after the install backed it up, and the installer never wrote it',
    });
  });

  it('counts every text the installer wrote (a retry with other settings writes another), each recorded once', () => {
    const first = applyTkeConfigEdit(monitorToml, original(monitorToml));
    const backup = recorded();
    const second = setThanosFeatures(original(monitorToml), 'http://127.0.2.10:30141');
    Object.assign(backup.data, recordWritten(backup.data, monitorToml, second));
    expect(recordWritten(backup.data, monitorToml, second)).toEqual({});
    for (const written of [first, second]) expect(restoreDecision(backup, monitorToml, written).kind).toBe('restore');
  });

  it('for a backup of the first release, which recorded nothing, takes exactly what that release wrote for the address found', () => {
    for (const edit of edits) {
      const written = applyTkeConfigEdit(edit, original(edit));
      expect(restoreDecision(earlier, edit, written)).toEqual({ kind: 'restore', original: original(edit) });
      // The same Thanos address with any other change is someone's edit.
      expect(restoreDecision(earlier, edit, `# edited\n${written}`).kind).toBe('left');
    }
    expect(restoreDecision(earlier, apiMonitor, 'storage:\n  influxDB: {}\n').kind).toBe('left');
  });

  it('covers every key an install changes', () => {
    expect(tkeConfigTargets().map((t) => `${t.configMap}/${t.key}`)).toEqual(edits.map((e) => `${e.configMap}/${e.key}`));
  });
});

describe('the restore step\'s result', () => {
  const restart = { restarted: ['tke-monitor-api', 'tke-monitor-controller'], unchanged: ['tke-platform-controller'] };

  it('names what was restored and each key left, with why', () => {
    const left = { configMap: 'tke-monitor-controller', key: 'tke-monitor-controller.toml', reason: 'it was changed after the installer wrote it' };
    expect(restoreSummary({ ...restart, restored: ['tke-monitor-api/tke-monitor-config.yaml'], left: [left] })).toBe(
      'restored: tke-monitor-api/tke-monitor-config.yaml; left as it is: ConfigMap tke-monitor-controller key tke-monitor-controller.toml ' +
        '(it was changed after the installer wrote it); restarted: tke-monitor-api, tke-monitor-controller; untouched: tke-platform-controller',
    );
    expect(leftKeyNote(left)).toBe(
      'ConfigMap tke-monitor-controller key tke-monitor-controller.toml was left as it is, not restored to its original: ' +
        'it was changed after the installer wrote it. Make sure it no longer points at Thanos, which is removed.',
    );
  });

  it('reads a result recorded by the first release, which named only the consumers', () => {
    expect(restoreSummary(restart)).toBe(
      'restored and restarted: tke-monitor-api, tke-monitor-controller; untouched: tke-platform-controller',
    );
  });
});
