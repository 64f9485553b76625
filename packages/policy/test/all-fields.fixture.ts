// One policy using every field and value form, modelled on Istio's builder test input.
export const ALL_FIELDS_POLICY = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'httpbin-1', namespace: 'foo' },
  spec: {
    selector: { matchLabels: { app: 'httpbin' } },
    rules: [
      {
        from: [
          {
            source: {
              principals: ['principal', 'principal-prefix-*', '*-suffix-principal', '*'],
              notPrincipals: ['not-principal'],
              requestPrincipals: ['iss/sub', 'iss/*', '*/sub', '*'],
              notRequestPrincipals: ['bad/sub'],
              namespaces: ['ns', 'ns-prefix-*', '*-ns-suffix', '*'],
              notNamespaces: ['not-ns'],
              ipBlocks: ['1.2.3.4', '5.6.0.0/16'],
              notIpBlocks: ['9.0.0.1'],
              remoteIpBlocks: ['1.2.3.4', 'fd00::/8'],
              notRemoteIpBlocks: ['9.2.0.0/16'],
              serviceAccounts: ['my-ns/my-sa', 'sa-only'],
              notServiceAccounts: ['my-ns/not-sa'],
            },
          },
        ],
        to: [
          {
            operation: {
              hosts: ['exact.com', '*.suffix.com', 'prefix.*', '*'],
              notHosts: ['not-exact.com'],
              ports: ['80', '90'],
              notPorts: ['8000'],
              methods: ['GET', 'method-prefix-*', '*-suffix-method', '*'],
              notMethods: ['DELETE'],
              paths: ['/exact', '/prefix/*', '*/suffix', '*'],
              notPaths: ['/not-exact'],
            },
          },
        ],
        when: [
          { key: 'request.headers[X-header]', values: ['header', 'header-prefix-*', '*-suffix-header', '*'], notValues: ['not.header'] },
          { key: 'source.ip', values: ['10.10.10.10', '192.168.10.0/24'] },
          { key: 'remote.ip', notValues: ['90.168.10.0/24'] },
          { key: 'source.namespace', values: ['ns'] },
          { key: 'source.principal', values: ['principal'] },
          { key: 'request.auth.principal', values: ['iss/sub'] },
          { key: 'request.auth.audiences', values: ['aud'] },
          { key: 'request.auth.presenter', values: ['presenter'] },
          { key: 'request.auth.claims[iss]', values: ['iss'] },
          { key: 'request.auth.claims[nested1][nested2]', values: ['nested'] },
          { key: 'destination.ip', values: ['10.10.10.10'] },
          { key: 'destination.port', values: ['91'] },
          { key: 'connection.sni', values: ['exact.com', '*.suffix.com'] },
          { key: 'experimental.envoy.filters.a.b[c]', values: ['exact', '[listed]'] },
        ],
      },
    ],
  },
};
