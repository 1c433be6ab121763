/**
 * The container images of the real node. There is no registry here: each
 * image is a one-layer tar in `docker save` format, assembled from binaries
 * built or unpacked into the cache, tagged with exactly the reference the
 * manifests use, and imported into containerd. The tars are cached under a
 * key of their contents' versions, so later starts only import them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_THANOS_IMAGE } from '../../request/defaults';
import { binPath, cacheDir, debPath, type PinnedVersions } from '../paths';
import { TKE_CONSUMERS, tkeConsumerImage } from '../tke-fixture';

const run = promisify(execFile);

/** The pod sandbox image, as containerd's `sandbox_image` names it. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
export const coreDnsImage = (versions: PinnedVersions): string => `registry.k8s.io/coredns/coredns:${versions.coredns}`;
/** For local-path-provisioner's helper pods, which make and remove volume directories. */
export const BUSYBOX_IMAGE = 'docker.io/library/busybox:1.35.0';
/** A second tag of the Thanos image built here: what an upgrade of the image tag rolls out on the real node. */
export const UPGRADE_THANOS_IMAGE = `${DEFAULT_THANOS_IMAGE}-upgrade`;

/** One entry of the image's filesystem, by its path inside the image. */
type ImageFile =
  | { path: string; from: string; mode: number } // a file copied from the cache
  | { path: string; content: string } // a file with this content
  | { path: string; linkTo: string } // a symbolic link
  | { path: string; directory: true; mode: number };

export interface ImageSpec {
  name: string;
  references: string[];
  files: ImageFile[];
  entrypoint: string[];
  user?: string;
}

const BUSYBOX = (): string => debPath('busybox-static', 'bin/busybox');

/** The applets of the cached busybox (`busybox --list`). */
export async function busyboxApplets(): Promise<string[]> {
  const { stdout } = await run(BUSYBOX(), ['--list']);
  return stdout.split('\n').filter((a) => a && a !== 'busybox');
}

/**
 * The images the real node runs: Thanos, the pod sandbox, CoreDNS, busybox
 * and the TKE stand-ins. busybox comes with a link for each of its applets,
 * so `sh -c` and friends work.
 */
export function nodeImages(versions: PinnedVersions, applets: string[]): ImageSpec[] {
  const busybox: ImageFile[] = [{ path: 'bin/busybox', from: BUSYBOX(), mode: 0o755 }, ...applets.map((a) => ({ path: `bin/${a}`, linkTo: 'busybox' }))];
  return [
    {
      // As Thanos's own image: busybox, /bin/thanos, user 1001.
      name: 'thanos',
      references: [DEFAULT_THANOS_IMAGE, UPGRADE_THANOS_IMAGE],
      files: [
        ...busybox,
        { path: 'bin/thanos', from: binPath('thanos'), mode: 0o755 },
        { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nthanos:x:1001:1001:thanos:/home/thanos:/bin/sh\n' },
        { path: 'etc/group', content: 'root:x:0:\nthanos:x:1001:\n' },
        { path: 'tmp', directory: true, mode: 0o1777 },
      ],
      entrypoint: ['/bin/thanos'],
      user: '1001',
    },
    { name: 'pause', references: [PAUSE_IMAGE], files: [{ path: 'pause', from: binPath('pause'), mode: 0o755 }], entrypoint: ['/pause'] },
    { name: 'coredns', references: [coreDnsImage(versions)], files: [{ path: 'coredns', from: binPath('coredns'), mode: 0o755 }], entrypoint: ['/coredns'] },
    { name: 'busybox', references: [BUSYBOX_IMAGE], files: busybox, entrypoint: ['/bin/sh'] },
    {
      name: 'tke-standin',
      references: TKE_CONSUMERS.map(tkeConsumerImage),
      files: [{ path: 'tke-standin', from: binPath('tke-standin'), mode: 0o755 }],
      entrypoint: ['/tke-standin'],
    },
  ];
}

/** What an image is made of, so that a changed binary or reference makes a new tar. */
function imageKey(spec: ImageSpec): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ references: spec.references, entrypoint: spec.entrypoint, user: spec.user }));
  for (const file of spec.files) {
    // Cached binaries are versioned by name behind their links; that name is their identity.
    const source = 'from' in file && existsSync(file.from) ? readlinkOrSelf(file.from) : '';
    hash.update(JSON.stringify({ ...file, source }));
  }
  return hash.digest('hex').slice(0, 16);
}

function readlinkOrSelf(path: string): string {
  try {
    return join(dirname(path), readlinkSync(path));
  } catch {
    return path;
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Assembles the image's tar in the cache unless it is there already; returns its path. */
export async function imageTar(spec: ImageSpec): Promise<string> {
  const dir = join(cacheDir(), 'images');
  const tar = join(dir, `${spec.name}-${imageKey(spec)}.tar`);
  if (existsSync(tar)) return tar;
  const work = join(dir, `build-${process.pid}-${spec.name}`);
  rmSync(work, { recursive: true, force: true });
  const rootfs = join(work, 'rootfs');
  for (const file of spec.files) {
    const target = join(rootfs, file.path);
    mkdirSync(dirname(target), { recursive: true });
    if ('linkTo' in file) {
      symlinkSync(file.linkTo, target);
    } else if ('directory' in file) {
      mkdirSync(target);
      chmodSync(target, file.mode);
    } else if ('from' in file) {
      copyFileSync(file.from, target);
      chmodSync(target, file.mode);
    } else {
      writeFileSync(target, file.content, { mode: 0o644 });
    }
  }
  const reproducible = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];
  await run('tar', [...reproducible, '-C', rootfs, '-cf', join(work, 'layer.tar'), '.']);
  const diffId = await sha256(join(work, 'layer.tar'));
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: {
      Entrypoint: spec.entrypoint,
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(spec.user !== undefined && { User: spec.user }),
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
  });
  const configDigest = createHash('sha256').update(config).digest('hex');
  writeFileSync(join(work, `${configDigest}.json`), config);
  mkdirSync(join(work, diffId));
  renameSync(join(work, 'layer.tar'), join(work, diffId, 'layer.tar'));
  writeFileSync(join(work, 'manifest.json'), JSON.stringify([
    { Config: `${configDigest}.json`, RepoTags: spec.references, Layers: [`${diffId}/layer.tar`] },
  ]));
  await run('tar', [...reproducible, '-C', work, '-cf', `${tar}.tmp`, 'manifest.json', `${configDigest}.json`, `${diffId}/layer.tar`]);
  renameSync(`${tar}.tmp`, tar);
  rmSync(work, { recursive: true, force: true });
  return tar;
}
