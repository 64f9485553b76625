import { decodeService, decodeWorkloadEntry } from '../src';

const service = (clusterIP: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP, selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } });
const workload = (capture: string) => ({
  apiVersion: 'networking.trellis.dev/v1alpha1', kind: 'WorkloadEntry',
  metadata: { name: 'web-1', namespace: 'shop', annotations: { 'sidecar.trellis.dev/capture': capture } }, spec: { address: '10.231.0.2' },
});

describe('what transparent capture reads from the kinds', () => {
  it('a service cluster IP; "None" (headless) has none', () => {
    expect(decodeService(service('10.96.0.10')).value?.clusterIP).toBe('10.96.0.10');
    expect(decodeService(service('None')).value?.clusterIP).toBeUndefined();
    expect(decodeService(service('10.96.0')).errors).toEqual([expect.objectContaining({ field: 'spec.clusterIP', message: expect.stringContaining('is not an IP address or "None"') })]);
  });

  it('the capture annotation of a WorkloadEntry, "true" or "false"', () => {
    expect(decodeWorkloadEntry(workload('true')).value?.sidecar.capture).toBe(true);
    expect(decodeWorkloadEntry(workload('false')).value?.sidecar.capture).toBeUndefined();
    expect(decodeWorkloadEntry(workload('yes')).errors).toEqual([expect.objectContaining({ message: expect.stringContaining('"yes" is not "true" or "false"') })]);
  });
});
