import type { ActionHandler } from './types';
import { parseMacro } from '../engine/macro';
import { toInteger } from '../operators/numeric-compare';
import type { Transaction } from '../engine/transaction';

/** Splits `tx.name` into collection and key (the key may hold macros). */
export function parseVariableRef(ref: string, action: string): { collection: string; key: ReturnType<typeof parseMacro> } {
  const dot = ref.indexOf('.');
  if (dot <= 0) throw new Error(`${action}: expected COLLECTION.name, got "${ref}"`);
  return { collection: ref.slice(0, dot).toUpperCase(), key: parseMacro(ref.slice(dot + 1)) };
}

/** setvar:tx.a=1, tx.a=+1, tx.a=-1, !tx.a, tx.a (sets 1). */
export const setvar: ActionHandler = (rule, value) => {
  if (!value) throw new Error('setvar needs a value');
  const unset = value.startsWith('!');
  const body = unset ? value.slice(1) : value;
  const eq = body.indexOf('=');
  const { collection, key } = parseVariableRef((eq < 0 ? body : body.slice(0, eq)).trim(), 'setvar');
  let op: '=' | '+' | '-' = '=';
  let rhs = eq < 0 ? '1' : body.slice(eq + 1);
  if (rhs.startsWith('+') || rhs.startsWith('-')) {
    op = rhs[0] as '+' | '-';
    rhs = rhs.slice(1);
  }
  const valueMacro = parseMacro(rhs);
  rule.actions.push((tx: Transaction) => {
    const coll = tx.collection(collection);
    const name = tx.expand(key);
    if (unset) {
      coll.remove(name);
      return;
    }
    const v = tx.expand(valueMacro);
    if (op === '=') coll.set(name, v);
    else {
      const current = toInteger(coll.first(name) ?? '0');
      const delta = toInteger(v);
      coll.set(name, String(op === '+' ? current + delta : current - delta));
    }
  });
};

/** expirevar:ip.name=seconds — only meaningful for persistent collections. */
export const expirevar: ActionHandler = (rule, value) => {
  if (!value) throw new Error('expirevar needs a value');
  const eq = value.indexOf('=');
  const { collection, key } = parseVariableRef(eq < 0 ? value : value.slice(0, eq), 'expirevar');
  const seconds = parseMacro(eq < 0 ? '0' : value.slice(eq + 1));
  rule.actions.push((tx) => {
    const record = tx.persistentRecords.get(collection);
    if (record) record.expiries.set(tx.expand(key), Date.now() + toInteger(tx.expand(seconds)) * 1000);
  });
};

/** initcol:ip=%{remote_addr} — opens a persistent collection in the Waf's in-memory store. */
export const initcol: ActionHandler = (rule, value) => {
  if (!value) throw new Error('initcol needs a value');
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`initcol: expected name=key, got "${value}"`);
  const collection = value.slice(0, eq).toUpperCase();
  const key = parseMacro(value.slice(eq + 1));
  rule.actions.push((tx) => {
    const record = tx.store.open(collection, tx.expand(key));
    tx.persistentRecords.set(collection, record);
    tx.bindCollection(collection, record.data);
  });
};

/** setenv:name=value — sets ENV for this transaction (never the process environment). */
export const setenv: ActionHandler = (rule, value) => {
  if (!value) throw new Error('setenv needs a value');
  const eq = value.indexOf('=');
  const name = parseMacro(eq < 0 ? value : value.slice(0, eq));
  const v = parseMacro(eq < 0 ? '1' : value.slice(eq + 1));
  rule.actions.push((tx) => tx.collection('ENV').set(tx.expand(name), tx.expand(v)));
};
