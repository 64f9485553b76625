/**
 * XSS detection (libinjection_xss.c): tokenize the input as HTML5 from each context a
 * reflected value can land in and flag dangerous tags, attributes, URLs and constructs.
 */
import { asciiUpper, toByteString } from '../bytes';
import { Html5Flags, Html5Tokenizer, Html5Type } from './html5';

const enum Attr {
  NONE,
  /** always banned */
  BLACK,
  /** value is a URL: check the scheme */
  URL,
  /** inline style */
  STYLE,
  /** the attribute *name* is given in the value (SVG attributeName) */
  INDIRECT,
}

/** Byte at i, or 0 past the end (C reads the string terminator there). */
function byteAt(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

/** Names grouped by length, for allocation-free case-insensitive lookups. */
class NameTable<V> {
  private readonly byLength = new Map<number, Array<[string, V]>>();
  private readonly byName: ReadonlyMap<string, V>;

  constructor(entries: Iterable<readonly [string, V]>) {
    this.byName = new Map(entries);
    for (const [name, v] of this.byName) {
      const bucket = this.byLength.get(name.length) ?? [];
      bucket.push([name, v]);
      this.byLength.set(name.length, bucket);
    }
  }

  /**
   * The value of the name equal to s[start, start+len), case-insensitively (a-z only) and
   * ignoring NUL bytes, as libinjection's cstrcasecmp_with_null compares.
   */
  get(s: string, start: number, len: number): V | undefined {
    const bucket = this.byLength.get(len);
    if (bucket) {
      next: for (const [name, v] of bucket) {
        for (let i = 0; i < len; i++) {
          let c = s.charCodeAt(start + i);
          if (c === 0) return this.getWithNul(s, start, len);
          if (c >= 0x61 && c <= 0x7a) c -= 0x20;
          if (c !== name.charCodeAt(i)) continue next;
        }
        return v;
      }
    }
    // A name can still match a longer span that holds NULs.
    return s.substr(start, len).includes('\0') ? this.getWithNul(s, start, len) : undefined;
  }

  private getWithNul(s: string, start: number, len: number): V | undefined {
    return this.byName.get(asciiUpper(s.substr(start, len).replace(/\0/g, '')));
  }
}

/** Does s[start..] begin with the upper-case ASCII `word`, case-insensitively (no NULs allowed)? */
function startsWithWord(s: string, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    let c = byteAt(s, start + i);
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** Event handler names after "on" (from WebKit's EventNames.h), matched as prefixes like libinjection. */
const EVENTS = `ABORT ACTIVATE ACTIVE ADDSOURCEBUFFER ADDSTREAM ADDTRACK AFTERPRINT ANIMATIONCANCEL
ANIMATIONEND ANIMATIONITERATION ANIMATIONSTART AUDIOEND AUDIOPROCESS AUDIOSTART AUTOCOMPLETEERROR AUTOCOMPLETE
BEFOREACTIVATE BEFORECOPY BEFORECUT BEFOREINPUT BEFORELOAD BEFOREPASTE BEFOREPRINT BEFOREUNLOAD BEGINEVENT BLOCKED
BLUR BOUNDARY BUFFEREDAMOUNTLOW CACHED CANCEL CANPLAYTHROUGH CANPLAY CHANGE CHARGINGCHANGE CHARGINGTIMECHANGE
CHECKING CLICK CLOSE COMPLETE COMPOSITIONEND COMPOSITIONSTART COMPOSITIONUPDATE CONNECTING CONNECTIONSTATECHANGE
CONNECT CONTEXTMENU CONTROLLERCHANGE COPY CUECHANGE CUT DATAAVAILABLE DATACHANNEL DBLCLICK DEVICECHANGE
DEVICEMOTION DEVICEORIENTATION DISCHARGINGTIMECHANGE DISCONNECT DOMACTIVATE DOMCHARACTERDATAMODIFIED
DOMCONTENTLOADED DOMFOCUSIN DOMFOCUSOUT DOMNODEINSERTEDINTODOCUMENT DOMNODEINSERTED DOMNODEREMOVEDFROMDOCUMENT
DOMNODEREMOVED DOMSUBTREEMODIFIED DOWNLOADING DRAGEND DRAGENTER DRAGLEAVE DRAGOVER DRAGSTART DRAG DROP
DURATIONCHANGE EMPTIED ENCRYPTED ENDED ENDEVENT END ENTERPICTUREINPICTURE ENTER ERROR EXIT FETCH FINISH FOCUSIN
FOCUSOUT FOCUS FORMCHANGE FORMINPUT GAMEPADCONNECTED GAMEPADDISCONNECTED GESTURECHANGE GESTUREEND GESTURESCROLLEND
GESTURESCROLLSTART GESTURESCROLLUPDATE GESTURESTART GESTURETAPDOWN GESTURETAP GOTPOINTERCAPTURE HASHCHANGE
ICECANDIDATEERROR ICECANDIDATE ICECONNECTIONSTATECHANGE ICEGATHERINGSTATECHANGE INACTIVE INPUTSOURCESCHANGE INPUT
INSTALL INVALID KEYDOWN KEYPRESS KEYSTATUSESCHANGE KEYUP LANGUAGECHANGE LEAVEPICTUREINPICTURE LEVELCHANGE LOADEDDATA
LOADEDMETADATA LOADEND LOADINGDONE LOADINGERROR LOADING LOADSTART LOAD LOSTPOINTERCAPTURE MARK MERCHANTVALIDATION
MESSAGEERROR MESSAGE MOUSEDOWN MOUSEENTER MOUSELEAVE MOUSEMOVE MOUSEOUT MOUSEOVER MOUSEUP MOUSEWHEEL MUTE
NEGOTIATIONNEEDED NEXTTRACK NOMATCH NOUPDATE OBSOLETE OFFLINE ONLINE OPEN ORIENTATIONCHANGE OVERCONSTRAINED
OVERFLOWCHANGED PAGEHIDE PAGESHOW PASTE PAUSE PAYERDETAILCHANGE PAYMENTAUTHORIZED PAYMENTMETHODCHANGE
PAYMENTMETHODSELECTED PLAYING PLAY POINTERCANCEL POINTERDOWN POINTERENTER POINTERLEAVE POINTERLOCKCHANGE
POINTERLOCKERROR POINTERMOVE POINTEROUT POINTEROVER POINTERUP POPSTATE PREVIOUSTRACK PROCESSORERROR PROGRESS
PROPERTYCHANGE RATECHANGE READYSTATECHANGE REJECTIONHANDLED REMOVESOURCEBUFFER REMOVESTREAM REMOVETRACK REMOVE
RESET RESIZE RESOURCETIMINGBUFFERFULL RESULT RESUME SCROLL SEARCH SECURITYPOLICYVIOLATION SEEKED SEEKING SELECTEND
SELECTIONCHANGE SELECTSTART SELECT SHIPPINGADDRESSCHANGE SHIPPINGCONTACTSELECTED SHIPPINGMETHODSELECTED
SHIPPINGOPTIONCHANGE SHOW SIGNALINGSTATECHANGE SLOTCHANGE SOUNDEND SOUNDSTART SOURCECLOSE SOURCEENDED SOURCEOPEN
SPEECHEND SPEECHSTART SQUEEZEEND SQUEEZESTART SQUEEZE STALLED STARTED START STATECHANGE STOP STORAGE SUBMIT SUCCESS
SUSPEND TEXTINPUT TIMEOUT TIMEUPDATE TOGGLE TONECHANGE TOUCHCANCEL TOUCHEND TOUCHFORCECHANGE TOUCHMOVE TOUCHSTART
TRACK TRANSITIONCANCEL TRANSITIONEND TRANSITIONRUN TRANSITIONSTART UNCAPTUREDERROR UNHANDLEDREJECTION UNLOAD UNMUTE
UPDATEEND UPDATEFOUND UPDATEREADY UPDATESTART UPDATE UPGRADENEEDED VALIDATEMERCHANT VERSIONCHANGE VISIBILITYCHANGE
VOLUMECHANGE WAITINGFORKEY WAITING WEBGLCONTEXTCHANGED WEBGLCONTEXTCREATIONERROR WEBGLCONTEXTLOST
WEBGLCONTEXTRESTORED WEBKITANIMATIONEND WEBKITANIMATIONITERATION WEBKITANIMATIONSTART WEBKITBEFORETEXTINSERTED
WEBKITBEGINFULLSCREEN WEBKITCURRENTPLAYBACKTARGETISWIRELESSCHANGED WEBKITENDFULLSCREEN WEBKITFULLSCREENCHANGE
WEBKITFULLSCREENERROR WEBKITKEYADDED WEBKITKEYERROR WEBKITKEYMESSAGE WEBKITMOUSEFORCECHANGED WEBKITMOUSEFORCEDOWN
WEBKITMOUSEFORCEUP WEBKITMOUSEFORCEWILLBEGIN WEBKITNEEDKEY WEBKITNETWORKINFOCHANGE
WEBKITPLAYBACKTARGETAVAILABILITYCHANGED WEBKITPRESENTATIONMODECHANGED WEBKITREGIONOVERSETCHANGE
WEBKITREMOVESOURCEBUFFER WEBKITSOURCECLOSE WEBKITSOURCEENDED WEBKITSOURCEOPEN WEBKITSPEECHCHANGE
WEBKITTRANSITIONEND WEBKITWILLREVEALBOTTOM WEBKITWILLREVEALLEFT WEBKITWILLREVEALRIGHT WEBKITWILLREVEALTOP WHEEL
WRITEEND WRITESTART WRITE ZOOM`.split(/\s+/);
const EVENT_SET: ReadonlySet<string> = new Set(EVENTS);
const EVENT_MAX = Math.max(...EVENTS.map((e) => e.length));

/** Attributes whose value is checked, and how. */
const ATTRS = new NameTable<Attr>([
  ['ACTION', Attr.URL], // form
  ['ATTRIBUTENAME', Attr.INDIRECT], // SVG
  ['BY', Attr.URL], // SVG
  ['BACKGROUND', Attr.URL], // IE6, O11
  ['DATAFORMATAS', Attr.BLACK], // IE
  ['DATASRC', Attr.BLACK], // IE
  ['DYNSRC', Attr.URL], // obsolete img attribute
  ['FILTER', Attr.STYLE], // Opera, SVG inline style
  ['FORMACTION', Attr.URL], // HTML5
  ['FOLDER', Attr.URL], // A tags, IE only
  ['FROM', Attr.URL], // SVG
  ['HANDLER', Attr.URL], // SVG Tiny, Opera
  ['HREF', Attr.URL],
  ['LOWSRC', Attr.URL], // obsolete img attribute
  ['POSTER', Attr.URL], // Opera 10, 11
  ['SRC', Attr.URL],
  ['STYLE', Attr.STYLE],
  ['TO', Attr.URL], // SVG
  ['VALUES', Attr.URL], // SVG
  ['XLINK:HREF', Attr.URL],
]);

/** Always-banned tags (plus anything starting with SVG or XSL, see isBlackTag). */
const TAGS = new NameTable<true>(
  [
    'APPLET',
    'BASE',
    'COMMENT', // IE http://html5sec.org/#38
    'EMBED',
    'FRAME',
    'FRAMESET',
    'HANDLER', // Opera SVG, effectively a script tag
    'IFRAME',
    'IMPORT',
    'ISINDEX',
    'LINK',
    'LISTENER',
    'META',
    'NOSCRIPT',
    'OBJECT',
    'SCRIPT',
    'STYLE',
    'VMLFRAME',
    'XML',
    'XSS',
  ].map((t) => [t, true] as const),
);

/**
 * Decodes one possibly-HTML-encoded character at s[i] (&#DDD; / &#xHH; only). Returns the
 * value and how many bytes were consumed (html_decode_char_at).
 */
function decodeCharAt(s: string, i: number, len: number): [value: number, consumed: number] {
  if (len === 0) return [-1, 0];
  const c0 = s.charCodeAt(i);
  if (c0 !== 0x26 || len < 2) return [c0, 1];
  if (byteAt(s, i + 1) !== 0x23) return [0x26, 1]; // named entities: don't care
  const c2 = byteAt(s, i + 2);
  if (c2 === 0x78 || c2 === 0x58) {
    let ch = hexValue(byteAt(s, i + 3));
    if (ch < 0) return [0x26, 1]; // '&#x?'
    let val = ch;
    let k = 4;
    while (k < len) {
      const b = s.charCodeAt(i + k);
      if (b === 0x3b) return [val, k + 1];
      ch = hexValue(b);
      if (ch < 0) return [val, k];
      val = val * 16 + ch;
      if (val > 0x1000ff) return [0x26, 1];
      k++;
    }
    return [val, k];
  }
  let k = 2;
  const d = byteAt(s, i + k);
  if (d < 0x30 || d > 0x39) return [0x26, 1];
  let val = d - 0x30;
  k += 1;
  while (k < len) {
    const b = s.charCodeAt(i + k);
    if (b === 0x3b) return [val, k + 1];
    if (b < 0x30 || b > 0x39) return [val, k];
    val = val * 10 + (b - 0x30);
    if (val > 0x1000ff) return [0x26, 1];
    k++;
  }
  return [val, k];
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Does the HTML-encoded s[start, start+n) start with the upper-case `prefix`, case-insensitively,
 * ignoring leading white space / control characters and any NUL or newline (htmlencode_startswith)?
 */
function htmlStartsWith(prefix: string, s: string, start: number, n: number): boolean {
  let ai = 0;
  let i = start;
  let first = true;
  while (n > 0) {
    if (ai === prefix.length) return true;
    const [decoded, consumed] = decodeCharAt(s, i, n);
    let cb = decoded;
    i += consumed;
    n -= consumed;
    if (first && cb <= 32) continue;
    first = false;
    if (cb === 0 || cb === 10) continue;
    if (cb >= 0x61 && cb <= 0x7a) cb -= 0x20;
    // C compares `*a != (char)cb`: only the low byte of the decoded value counts.
    if (prefix.charCodeAt(ai) !== (cb & 0xff)) return false;
    ai++;
  }
  return ai === prefix.length;
}

function isBlackTag(s: string, start: number, len: number): boolean {
  if (len < 3) return false;
  if (TAGS.get(s, start, len)) return true;
  const c0 = s.charCodeAt(start) | 0x20;
  const c1 = s.charCodeAt(start + 1) | 0x20;
  const c2 = s.charCodeAt(start + 2) | 0x20;
  // anything SVG or XSL(T)
  return (c0 === 0x73 && c1 === 0x76 && c2 === 0x67) || (c0 === 0x78 && c1 === 0x73 && c2 === 0x6c);
}

/**
 * Does an event name follow "on" at `start`? libinjection compares each name against as many
 * input bytes as the name has, reading past the attribute name: a prefix match of the input.
 * A NUL among those bytes (or the end of input) makes the compare fail.
 */
function isEventHandler(s: string, start: number): boolean {
  const head = asciiUpper(s.substr(start, EVENT_MAX));
  let k = 0;
  while (k < head.length) {
    const c = head.charCodeAt(k);
    if (c < 0x41 || c > 0x5a) break; // event names are letters only
    k++;
    if (EVENT_SET.has(head.slice(0, k))) return true;
  }
  return false;
}

function blackAttr(s: string, start: number, len: number): Attr {
  if (len < 2) return Attr.NONE;
  if (len >= 5) {
    const c0 = s.charCodeAt(start) | 0x20;
    const c1 = s.charCodeAt(start + 1) | 0x20;
    if (c0 === 0x6f && c1 === 0x6e && isEventHandler(s, start + 2)) return Attr.BLACK;
    // XMLNS / XLINK can create arbitrary tags
    if (startsWithWord(s, start, 'XMLNS') || startsWithWord(s, start, 'XLINK')) return Attr.BLACK;
  }
  return ATTRS.get(s, start, len) ?? Attr.NONE;
}

function isBlackUrl(s: string, start: number, len: number): boolean {
  // skip white space, control and high-bit bytes (UTF-8 white space in Opera, ignored EUC-JP bytes)
  while (len > 0) {
    const c = s.charCodeAt(start);
    if (c > 32 && c < 127) break;
    start++;
    len--;
  }
  return (
    htmlStartsWith('DATA', s, start, len) ||
    htmlStartsWith('VIEW-SOURCE', s, start, len) ||
    htmlStartsWith('JAVA', s, start, len) || // JAVA, JAVASCRIPT
    htmlStartsWith('VBSCRIPT', s, start, len)
  );
}

/** libinjection_is_xss: is the byte string XSS when tokenized from context `flags`? */
export function isXssInContext(s: string, flags: Html5Flags): boolean {
  const h5 = new Html5Tokenizer(s, flags);
  let attr = Attr.NONE;
  while (h5.next()) {
    const type = h5.tokenType;
    const start = h5.tokenStart;
    const len = h5.tokenLen;
    if (type !== Html5Type.ATTR_VALUE) attr = Attr.NONE;

    if (type === Html5Type.DOCTYPE) {
      return true;
    } else if (type === Html5Type.TAG_NAME_OPEN) {
      if (isBlackTag(s, start, len)) return true;
    } else if (type === Html5Type.ATTR_NAME) {
      attr = blackAttr(s, start, len);
    } else if (type === Html5Type.ATTR_VALUE) {
      switch (attr) {
        case Attr.NONE:
          break;
        case Attr.BLACK:
        case Attr.STYLE:
          return true;
        case Attr.URL:
          if (isBlackUrl(s, start, len)) return true;
          break;
        case Attr.INDIRECT:
          if (blackAttr(s, start, len) !== Attr.NONE) return true;
          break;
      }
      attr = Attr.NONE;
    } else if (type === Html5Type.TAG_COMMENT) {
      const text = s.substr(start, len);
      // IE uses '`' as a tag-ending character
      if (text.includes('`')) return true;
      if (len > 3) {
        // IE conditional comment, XML
        if (startsWithWord(s, start, '[IF') || startsWithWord(s, start, 'XML')) return true;
      }
      if (len > 5) {
        // IE <?import pseudo-tag, XML entity definition
        if (startsWithWord(s, start, 'IMPORT') || startsWithWord(s, start, 'ENTITY')) return true;
      }
    }
  }
  return false;
}

const CONTEXTS: readonly Html5Flags[] = [
  Html5Flags.DATA_STATE,
  Html5Flags.VALUE_NO_QUOTE,
  Html5Flags.VALUE_SINGLE_QUOTE,
  Html5Flags.VALUE_DOUBLE_QUOTE,
  Html5Flags.VALUE_BACK_QUOTE,
];

/**
 * Is `input` an XSS attempt? Equivalent to libinjection's `libinjection_xss()`: the input
 * is tried as HTML text and as an unquoted, single-, double- and back-quoted attribute value.
 * Strings are taken as byte strings (see ../bytes.ts); Buffers as raw bytes.
 */
export function detectXSS(input: string | Buffer): boolean {
  const s = toByteString(input);
  return CONTEXTS.some((ctx) => isXssInContext(s, ctx));
}
