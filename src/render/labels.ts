export const MANAGED_BY = 'thanos-installer';
const INSTANCE = 'thanos';
const PART_OF = 'tke-monitor';

// A label value: at most 63 characters, alphanumeric at both ends.
const LABEL_VALUE = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** The image tag, as the version label, when it makes a valid label value (a digest-only reference has none). */
function imageVersion(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  const tag = colon === -1 ? undefined : lastSegment.slice(colon + 1);
  return tag !== undefined && LABEL_VALUE.test(tag) ? tag : undefined;
}

/**
 * The labels a selector may use: only ones that never change across upgrades
 * (not the version), since a StatefulSet's or Deployment's selector is immutable.
 */
export function selectorLabels(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': `thanos-${component}`, 'app.kubernetes.io/instance': INSTANCE };
}

/** The full app.kubernetes.io label set for every object of a component. */
export function componentLabels(component: string, image: string): Record<string, string> {
  const version = imageVersion(image);
  return {
    ...selectorLabels(component),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    ...(version !== undefined && { 'app.kubernetes.io/version': version }),
  };
}
