/**
 * kwok's stage configuration for the test ground: what fake nodes, pods and
 * volumes do. Nodes turn Ready; pods turn Running and Ready on their node's
 * loopback address. The image tag simulates what a real image would do:
 * a tag ending in `-unready` runs but never passes its readiness probe (a
 * broken release), one ending in `-slow` takes SLOW_START_SECONDS to become
 * ready. Claims whose pod was scheduled onto a fake node are bound to a
 * volume made for them (the real node has a real provisioner); pods being
 * deleted go away.
 */

/** How long pods of a `-slow` image take to become ready. */
export const SLOW_START_SECONDS = 20;

const imageTagEndsWith = (suffix: string): string => `self.spec.containers.exists(c, c.image.endsWith('${suffix}'))`;

/** Who made a fake node's volumes, as the PersistentVolume's annotation says. */
const PROVISIONER = 'testground.kwok/volume';
/** The scheduler's annotation on a WaitForFirstConsumer claim: the node its pod goes to. */
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

const podStatus = (ready: boolean): string => `
      {{ $now := Now }}
      conditions:
      - {type: Initialized, status: "True", lastTransitionTime: {{ $now | Quote }}}
      - {type: PodScheduled, status: "True", lastTransitionTime: {{ $now | Quote }}}
      - type: Ready
        status: "${ready ? 'True' : 'False'}"
        lastTransitionTime: {{ $now | Quote }}${ready ? '' : `
        reason: ContainersNotReady
        message: "readiness probe failed: HTTP probe failed with statuscode: 503"`}
      - {type: ContainersReady, status: "${ready ? 'True' : 'False'}", lastTransitionTime: {{ $now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: ${ready}
        started: true
        restartCount: 0
        state: {running: {startedAt: {{ $now | Quote }}}}
      {{ end }}
      {{ with NodeIPsWith .spec.nodeName }}
      hostIP: {{ index . 0 | Quote }}
      hostIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ with PodIPsWith .spec.nodeName false .metadata.uid .metadata.name .metadata.namespace }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}`;

/** Selects scheduled pods not yet started whose image tag does (or does not) end in each suffix. */
const startingPod = (conditions: { suffix: string; matches: boolean }[]): string =>
  `
    - cel: {expression: "!has(self.metadata.deletionTimestamp)"}
    - cel: {expression: "has(self.spec.nodeName) && self.status.phase == 'Pending'"}` +
  conditions.map(({ suffix, matches }) => `
    - cel: {expression: "${matches ? '' : '!'}${imageTagEndsWith(suffix)}"}`).join('');

export function kwokConfiguration(): string {
  return `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  # Left at zero, kwok refuses to start its controllers.
  podPlayStageParallelism: 4
  nodePlayStageParallelism: 4
  nodeLeaseParallelism: 4
  podsOnNodeSyncParallelism: 4
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: testground-node-ready}
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ["True"]
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Ready, status: "True", reason: KubeletReady, message: "kwok fake node", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: MemoryPressure, status: "False", reason: KubeletHasSufficientMemory, message: "", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: DiskPressure, status: "False", reason: KubeletHasNoDiskPressure, message: "", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: PIDPressure, status: "False", reason: KubeletHasSufficientPID, message: "", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        kubeletVersion: {{ printf "kwok-%s" Version | Quote }}
        containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
        kernelVersion: ""
        kubeProxyVersion: ""
        osImage: ""
        machineID: ""
        systemUUID: ""
        bootID: ""
      phase: Running
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: testground-pod-ready}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:${startingPod([{ suffix: '-unready', matches: false }, { suffix: '-slow', matches: false }])}
  next:
    statusTemplate: |${podStatus(true)}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: testground-pod-ready-slowly}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:${startingPod([{ suffix: '-slow', matches: true }])}
  delay:
    durationMilliseconds: ${SLOW_START_SECONDS * 1000}
  next:
    statusTemplate: |${podStatus(true)}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: testground-pod-unready}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:${startingPod([{ suffix: '-unready', matches: true }])}
  next:
    statusTemplate: |${podStatus(false)}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: testground-pod-delete}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - cel: {expression: "has(self.metadata.deletionTimestamp)"}
  next:
    delete: true
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: testground-volume-provision}
spec:
  resourceRef: {apiGroup: v1, kind: PersistentVolumeClaim}
  selector:
    matchExpressions:
    - cel: {expression: "has(self.metadata.annotations) && '${SELECTED_NODE}' in self.metadata.annotations && self.metadata.annotations['${SELECTED_NODE}'].startsWith('tke-node-')"}
    - cel: {expression: "!has(self.metadata.deletionTimestamp) && !has(self.spec.volumeName)"}
  steps:
  - apply:
      template: |
        apiVersion: v1
        kind: PersistentVolume
        metadata:
          name: pvc-{{ .metadata.uid }}
          annotations: {pv.kubernetes.io/provisioned-by: ${PROVISIONER}}
        spec:
          accessModes:
          {{ YAML .spec.accessModes 2 }}
          capacity:
          {{ YAML .spec.resources.requests 2 }}
          persistentVolumeReclaimPolicy: Delete
          storageClassName: {{ .spec.storageClassName | Quote }}
          volumeMode: Filesystem
          claimRef:
            apiVersion: v1
            kind: PersistentVolumeClaim
            name: {{ .metadata.name | Quote }}
            namespace: {{ .metadata.namespace | Quote }}
            uid: {{ .metadata.uid | Quote }}
          hostPath: {path: "/nonexistent/testground/pvc-{{ .metadata.uid }}"}
  - patch:
      root: spec
      template: |
        volumeName: pvc-{{ .metadata.uid }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: testground-volume-release}
spec:
  resourceRef: {apiGroup: v1, kind: PersistentVolume}
  selector:
    matchExpressions:
    - cel: {expression: "has(self.metadata.annotations) && 'pv.kubernetes.io/provisioned-by' in self.metadata.annotations && self.metadata.annotations['pv.kubernetes.io/provisioned-by'] == '${PROVISIONER}' && self.status.phase == 'Released'"}
  next:
    delete: true
`;
}
