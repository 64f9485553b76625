import { FieldChecker } from '@trellis/xds';

/**
 * Fields that change behaviour must never be ignored silently: a resource that sets
 * one we do not implement is NACKed, naming the field. `allowed` lists the fields a
 * message may set; `decodedWithoutDefaults` is the message as sent (no defaults).
 */
export function rejectUnsupported(check: FieldChecker, decodedWithoutDefaults: object | null | undefined, allowed: readonly string[], at: string): void {
  if (!decodedWithoutDefaults) return;
  for (const [key, value] of Object.entries(decodedWithoutDefaults)) {
    if (value === undefined || value === null || allowed.includes(key)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    // protobufjs adds the oneof's name beside its member: it is not a field of its own.
    if (typeof value === 'string' && allowed.includes(value)) continue;
    check.fail(at ? `${at}.${key}` : key, 'is not supported by this proxy');
  }
}

interface DurationLike { seconds?: string | number; nanos?: number }

export function durationMs(value: DurationLike | null | undefined): number | undefined {
  if (!value) return undefined;
  return Number(value.seconds ?? 0) * 1000 + Math.round((value.nanos ?? 0) / 1e6);
}
