import type { Command } from 'commander';
import { dump } from 'js-yaml';
import type { ThanosSettings } from '../../request/defaults';
import { BucketConfigSchema } from '../../request/objstore';
import { maskSecrets } from '../../request/secrets';
import { renderInstall } from '../../render';
import { tkeConfigEditPreview } from '../../render/tke';
import { loadValidRequest, type CliContext } from '../io';

const toYaml = (value: unknown) => dump(value, { lineWidth: -1, noRefs: true });
const comment = (line: string) => `# ${line}\n`;

/**
 * The preview, like `helm template`: every Kubernetes object the install
 * applies, then every change to TKE's ConfigMaps, as YAML documents. The
 * ConfigMap changes are described rather than shown whole, because they are
 * applied to whatever the cluster holds at install time.
 */
function preview(settings: ThanosSettings, showSecrets: boolean): string {
  const shown = showSecrets ? settings : { ...settings, bucketConfig: maskSecrets(BucketConfigSchema, settings.bucketConfig) };
  const install = renderInstall(shown);
  const header = [
    'thanos-installer render: what an install would write. Nothing has been applied.',
    ...install.notes,
    ...(showSecrets ? [] : ['Credentials are masked; pass --show-secrets to print them.']),
  ]
    .map(comment)
    .join('');
  const objects = install.objects.map(toYaml);
  const edits = install.tkeConfigEdits.map((edit) => {
    const { summary, set } = tkeConfigEditPreview(edit);
    return (
      comment(`Change to the existing ConfigMap ${edit.configMap}: ${summary}`) +
      toYaml({ configMap: edit.configMap, namespace: settings.namespace, key: edit.key, restarts: `deployment/${edit.consumer}`, set })
    );
  });
  return header + [...objects, ...edits].map((document) => `---\n${document}`).join('');
}

export function registerRenderCommand(program: Command, context: CliContext): void {
  program
    .command('render')
    .description('print every object and config change an install would write, as YAML (credentials masked)')
    .requiredOption('-f, --file <path>', 'the request JSON ({cluster, config}), or - for stdin')
    .option('--show-secrets', 'print bucket credentials instead of ******', false)
    .action(async (options: { file: string; showSecrets: boolean }) => {
      const valid = await loadValidRequest(options.file, context);
      if (valid === undefined) return;
      context.io.stdout.write(preview(valid.settings, options.showSecrets));
    });
}
