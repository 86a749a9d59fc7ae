export declare const PORT_RANGE: { readonly first: number; readonly last: number };
export declare function freePort(count?: number): Promise<number>;
