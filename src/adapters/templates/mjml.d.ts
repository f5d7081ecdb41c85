// mjml 5 ships no types (the @types package describes mjml 4, whose mjml2html was synchronous): what ordermail uses of it.
declare module 'mjml' {
  export interface MjmlError {
    readonly line: number;
    readonly message: string;
    readonly tagName: string;
    readonly formattedMessage: string;
  }
  export interface MjmlResult {
    readonly html: string;
    readonly errors: readonly MjmlError[];
  }
  export interface MjmlOptions {
    readonly validationLevel?: 'strict' | 'soft' | 'skip';
    readonly keepComments?: boolean;
    readonly ignoreIncludes?: boolean;
    readonly filePath?: string;
    readonly minify?: boolean;
    readonly beautify?: boolean;
    /** Web fonts MJML links when a font-family names them (Roboto, Lato…); by default five from Google Fonts. */
    readonly fonts?: Readonly<Record<string, string>>;
  }
  export default function mjml2html(mjml: string, options?: MjmlOptions): Promise<MjmlResult>;
}
