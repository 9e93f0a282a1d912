// Validate the custom resources in rendered manifests against the kubernetes-models schemas.
// kubernetes-validate skips CRDs with a warning, so every resource of a non-core API group must
// be known here: an unknown custom kind fails rather than passing unchecked.
//   node crds.mjs rendered-dev.yaml rendered-prod.yaml
import fs from "node:fs";
import * as yaml from "js-yaml";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const models = {
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": TriggerAuthentication,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

// Built-in API groups (kubernetes-validate checks those): no dot, or a *.k8s.io group.
const isCore = (apiVersion) => {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  return !group.includes(".") || group.endsWith(".k8s.io");
};

let bad = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (!doc) continue;
    const id = `${file} ${doc.kind}/${doc.metadata?.name}`;
    if (isCore(String(doc.apiVersion))) continue;
    const Model = models[`${doc.apiVersion}/${doc.kind}`];
    if (!Model) {
      bad++;
      console.log(`FAIL ${id}: no schema for ${doc.apiVersion} ${doc.kind} (add its model to crds.mjs)`);
      continue;
    }
    try {
      new Model(doc).validate();
      checked++;
      console.log(`ok   ${id}`);
    } catch (e) {
      bad++;
      console.log(`FAIL ${id}: ${e.message}`);
    }
  }
}
console.log(`${checked} custom resources valid, ${bad} invalid`);
process.exit(bad ? 1 : 0);
