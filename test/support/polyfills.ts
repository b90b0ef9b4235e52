// Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions uses: same shim as the local runner.
import '../../cli/local/promise-with-resolvers';
