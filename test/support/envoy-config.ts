/** Readers for rendered Envoy configs (parsed YAML), shared by the render tests. */
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export const filtersOf = (listener: Any): Any[] => listener.filter_chains[0].filters;
export const tcpProxyOf = (listener: Any): Any => filtersOf(listener).find((f: Any) => f.name === 'envoy.filters.network.tcp_proxy').typed_config;
export const kafkaFilterOf = (listener: Any): Any => filtersOf(listener).find((f: Any) => f.name === 'envoy.filters.network.kafka_broker')?.typed_config;
export const endpointsOf = (cluster: Any): { priority: number; hostname: string; address: string; port: number; hcPort: number }[] =>
  cluster.load_assignment.endpoints.flatMap((group: Any) =>
    group.lb_endpoints.map((e: Any) => ({
      priority: group.priority,
      hostname: e.endpoint.hostname,
      address: e.endpoint.address.socket_address.address,
      port: e.endpoint.address.socket_address.port_value,
      hcPort: e.endpoint.health_check_config.port_value,
    })),
  );
