import type { ActionHandler } from './types';
import { accuracy, id, logdata, maturity, msg, phase, rev, severity, tag, ver } from './metadata';
import { auditlog, capture, ignored, log, multiMatch, noauditlog, nolog } from './flags';
import { chain, skip, skipAfter } from './flow';
import { allow, block, deny, drop, pass, redirect, status } from './disruptive';
import { expirevar, initcol, setenv, setvar } from './setvar';
import { ctl } from './ctl';

/** Actions by lower-cased name. `t:` is handled by the parser (it needs the transformation registry). */
const ACTIONS: Record<string, ActionHandler> = {
  accuracy,
  allow,
  append: ignored,
  auditlog,
  block,
  capture,
  chain,
  ctl,
  deny,
  deprecatevar: ignored,
  drop,
  expirevar,
  id,
  initcol,
  log,
  logdata,
  maturity,
  msg,
  multimatch: multiMatch,
  noauditlog,
  nolog,
  pass,
  pause: ignored,
  phase,
  prepend: ignored,
  redirect,
  rev,
  sanitisearg: ignored,
  sanitisematched: ignored,
  sanitisematchedbytes: ignored,
  sanitiserequestheader: ignored,
  sanitiseresponseheader: ignored,
  setenv,
  setsid: ignored,
  setuid: ignored,
  setvar,
  severity,
  skip,
  skipafter: skipAfter,
  status,
  tag,
  ver,
  xmlns: ignored,
};

export function getAction(name: string): ActionHandler | undefined {
  return ACTIONS[name.toLowerCase()];
}
