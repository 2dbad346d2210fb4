#!/usr/bin/env node
import { buildApp } from '../stack.ts';

/**
 * The CDK entry point: `npx cdk synth -c stage=dev|staging|prod`. Everything else lives in buildApp so
 * the infra tests synthesize exactly this app.
 */
try {
  buildApp();
} catch (error) {
  // A wrong or missing stage is a usage error: the message says what to pass, a stack trace adds nothing.
  if (error instanceof Error && error.message.startsWith('Unknown stage')) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
