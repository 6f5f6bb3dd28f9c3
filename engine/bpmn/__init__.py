"""Everything that touches SpiffWorkflow: safe loading, validation, the script sandbox, the runtime
and the state serializer. The rest of motcua talks to BPMN through this package only."""
