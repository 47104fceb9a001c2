/** mvdan-sh ships GopherJS output without types; src/shell.ts is the only module that touches it. */
declare module 'mvdan-sh' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const sh: { syntax: any };
  export default sh;
}
