export const START: string;
export const END: string;
export function renderInputsTable(actionYaml: string): string;
export function replaceInputsTable(readme: string, table: string): string;
