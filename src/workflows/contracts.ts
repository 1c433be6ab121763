/**
 * Contracts shared by workflows, the worker, clients and the test ground:
 * task queue and search attributes. Safe to import from workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TASK_QUEUE = 'thanos-installer';

/** Custom search attributes, registered on the Temporal server before use. */
export const searchAttributes = {
  clusterName: defineSearchAttributeKey('TkeClusterName', SearchAttributeType.KEYWORD),
  installPhase: defineSearchAttributeKey('ThanosInstallPhase', SearchAttributeType.KEYWORD),
};

/** The attributes as the `temporal` CLI takes them: `Name=Type`. */
export function searchAttributeFlags(): string[] {
  const cliType: Record<string, string> = { [SearchAttributeType.KEYWORD]: 'Keyword' };
  return Object.values(searchAttributes).map((key) => `${key.name}=${cliType[key.type] ?? key.type}`);
}
