/** The PostgreSQL server the tests use: PURSE_TEST_DATABASE_URL, else the local one. */
export declare const TEST_DATABASE_URL: string;
/** Why the server does not answer, or null when it does. */
export declare function postgresProblem(): Promise<string | null>;
/** Whether the server answers; when it does not, prints a loud banner naming `what`. */
export declare function postgresReachable(what: string): Promise<boolean>;
