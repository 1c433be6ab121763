import type { V1Secret } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import type { ThanosSettings } from '../request/defaults';
import { isRecord } from '../request/field-error';
import { OBJSTORE_PROVIDERS, type BucketConfig } from '../request/objstore';
import { componentLabels } from './labels';

export const OBJSTORE_SECRET_NAME = 'thanos-objstore-config';
const OBJSTORE_FILE_NAME = 'objstore.yml';
/** Where the Secret is mounted, as a directory (no subPath, so updates reach the pods). */
export const OBJSTORE_MOUNT_PATH = '/etc/thanos/objstore';
export const OBJSTORE_CONFIG_FLAG = `--objstore.config-file=${OBJSTORE_MOUNT_PATH}/${OBJSTORE_FILE_NAME}`;

interface SchemaShape {
  properties?: Record<string, SchemaShape>;
}

/** Keeps only the fields the schema knows, at every depth (string maps keep all of their entries). */
function knownFields(schema: object, value: unknown): unknown {
  const properties = (schema as SchemaShape).properties;
  if (!isRecord(value) || properties === undefined) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => Object.hasOwn(properties, key))
      .map(([key, child]) => [key, knownFields(properties[key]!, child)]),
  );
}

/**
 * The `--objstore.config-file` YAML. Only fields Thanos knows are written, so
 * a strict provider never refuses to start; integers stay integers (YAML
 * `134217728`, never `1.34217728e+08`), as Go's uint64 fields require.
 */
export function renderObjstoreYaml(bucketConfig: BucketConfig): string {
  const document = {
    type: bucketConfig.type,
    config: knownFields(OBJSTORE_PROVIDERS[bucketConfig.type].schema, bucketConfig.config),
    ...(bucketConfig.prefix !== undefined && { prefix: bucketConfig.prefix }),
  };
  // -0 is an integer to JSON Schema but would be written as the float -0.0.
  return dump(document, { lineWidth: -1, noRefs: true, replacer: (_key, value) => (Object.is(value, -0) ? 0 : value) });
}

/** What Thanos reads from the objstore Secret, only at start-up (see PodSpec.readAtStartup). */
export function objstoreReadAtStartup(settings: ThanosSettings): Record<string, string> {
  return { objstore: renderObjstoreYaml(settings.bucketConfig) };
}

/** The Secret holding the objstore config, mounted as a file by store, compact, rule and receive. */
export function objstoreSecret(settings: ThanosSettings): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: OBJSTORE_SECRET_NAME,
      namespace: settings.namespace,
      labels: componentLabels('objstore', settings.image),
    },
    type: 'Opaque',
    stringData: { [OBJSTORE_FILE_NAME]: renderObjstoreYaml(settings.bucketConfig) },
  };
}
