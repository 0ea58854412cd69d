// The gRPC routing scaffold's text (REMAINING-WORK §12): a GRPCRoute template for one service and
// the `grpc` listener lines for Gateway envoy-internal. Text only; planning is scaffolds.ts.
import type { ScaffoldTemplate, TemplateWriter } from '../scaffolds';

export const GRPC_GATE = 'grpc_gateway_enabled | default(false)';
/** The route's hostname; the listener uses the same, since a GRPCRoute must match its listener. */
const GRPC_HOSTNAME = "grpc_hostname | default('grpc.' ~ cloudflare_domain)";
const SERVICE_NAME = "grpc_service_name | default('grpc-example')";
const SERVICE_PORT = 'grpc_port | default(grpc_default_port | default(50051))';

export function grpcRouteTemplates(w: TemplateWriter): ScaffoldTemplate[] {
  const { block, value } = w;
  const backend = `      backendRefs:
        - name: ${value(SERVICE_NAME)}
          port: ${value(SERVICE_PORT)}
`;
  return [
    {
      path: 'kubernetes/apps/network/envoy-gateway/app/grpcroute.yaml.j2',
      description: 'GRPCRoute on the grpc listener of envoy-internal (reflection, health and one service)',
      body: w.gated(
        GRPC_GATE,
        `---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: ${value(SERVICE_NAME)}
spec:
  parentRefs:
    - name: envoy-internal
      namespace: network
      sectionName: grpc
  hostnames:
    - "${value(GRPC_HOSTNAME)}"
  rules:
    ${block('if grpc_reflection_enabled | default(true)')}
    ${w.comment('Lets grpcurl list the services.')}
    - matches:
        - method:
            service: grpc.reflection.v1alpha.ServerReflection
${backend}    ${block('endif')}
    - matches:
        - method:
            service: grpc.health.v1.Health
${backend}    ${w.comment('The service itself: replace the placeholder with its fully qualified name.')}
    - matches:
        - method:
            service: example.v1.ExampleService
${backend}`,
      ),
    },
  ];
}

/** The listener as list-item lines (no indentation of their own; the caller indents and gates them). */
export function grpcListenerLines(w: TemplateWriter): string[] {
  return [
    '- name: grpc',
    '  protocol: HTTPS',
    '  port: 443',
    `  hostname: "${w.value(GRPC_HOSTNAME)}"`,
    '  allowedRoutes:',
    '    namespaces:',
    '      from: All',
    '    kinds:',
    '      - group: gateway.networking.k8s.io',
    '        kind: GRPCRoute',
    '  tls:',
    '    certificateRefs:',
    '      - kind: Secret',
    '        name: ${SECRET_DOMAIN/./-}-production-tls',
  ];
}
