"""The seed's PySpark job, as the benchmark's rival: the same transformations as tx's example
project (semantics in shared/data/README.md), in Spark local[2], writing the two reports as the
example's local exports do (city_report JSON lines bzip2, top_prescribers ORC snappy, each in a
timestamped folder), and logging each report's row count, schema and first rows (tx's validate:).

    python bench/pyspark-baseline.py FACT_CSV CITIES_PARQUET OUT_DIR

Run with the cached pyspark venv (testing/services/provision.ts); bench/pipeline-benchmark.ts
does that for you. Prints one JSON line with row counts and seconds at the end.
"""
import json
import os
import sys
import time

t_start = time.time()
from pyspark.sql import SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

fact_path, cities_path, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]

spark = (
    SparkSession.builder.master("local[2]")
    .appName("presc-pipeline-baseline")
    .config("spark.driver.memory", os.environ.get("TX_BENCH_SPARK_MEMORY", "4g"))
    .config("spark.sql.shuffle.partitions", "8")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")

# Ingest: the fact CSV with its declared types (models/staging/sources.yml), the city dimension.
S, L, D = T.StringType(), T.LongType(), T.DoubleType()
fact_schema = T.StructType(
    [
        T.StructField(n, t)
        for n, t in [
            ("npi", L), ("nppes_provider_last_org_name", S), ("nppes_provider_first_name", S),
            ("nppes_provider_city", S), ("nppes_provider_state", S), ("specialty_description", S),
            ("description_flag", S), ("drug_name", S), ("generic_name", S), ("bene_count", L),
            ("total_claim_count", L), ("total_30_day_fill_count", D), ("total_day_supply", L),
            ("total_drug_cost", D), ("bene_count_ge65", L), ("bene_count_ge65_suppress_flag", S),
            ("total_claim_count_ge65", L), ("ge65_suppress_flag", S), ("total_30_day_fill_count_ge65", D),
            ("total_day_supply_ge65", L), ("total_drug_cost_ge65", D), ("years_of_exp", S),
        ]
    ]
)
fact = spark.read.csv(fact_path, header=True, schema=fact_schema, quote='"', escape='"', multiLine=False)
cities = spark.read.parquet(cities_path)

# Cleanse: cities.
stg_cities = cities.select(
    F.upper("city").alias("city"), "state_id", F.upper("state_name").alias("state_name"),
    F.upper("county_name").alias("county_name"), "population", "zips",
)

# Cleanse: prescribers, in the original job's order of steps.
renamed = fact.select(
    F.col("npi").alias("presc_id"),
    F.concat_ws(" ", "nppes_provider_first_name", "nppes_provider_last_org_name").alias("presc_fullname"),
    F.col("nppes_provider_state").alias("presc_state"),
    F.col("nppes_provider_city").alias("presc_city"),
    F.lit("USA").alias("country_name"),
    F.col("specialty_description").alias("presc_spclt"),
    F.when(F.regexp_extract("years_of_exp", r"([0-9]+)", 1) != "", F.regexp_extract("years_of_exp", r"([0-9]+)", 1).cast("int")).alias("years_of_exp"),
    "drug_name",
    F.col("total_claim_count").alias("trx_cnt"),
    "total_day_supply",
    "total_drug_cost",
)
kept = renamed.where(F.col("presc_id").isNotNull()).where(F.col("drug_name").isNotNull())
stg_prescribers = kept.withColumn(
    "trx_cnt",
    F.coalesce(F.col("trx_cnt"), F.round(F.avg("trx_cnt").over(Window.partitionBy("presc_id"))).cast("long")),
).cache()

# city_report: prescribers and claims per city, joined to every matching city row.
by_city = stg_prescribers.groupBy("presc_state", "presc_city").agg(
    F.countDistinct("presc_id").alias("presc_counts"), F.sum("trx_cnt").cast("long").alias("trx_counts")
)
city_report = (
    stg_cities.join(by_city, (stg_cities.state_id == by_city.presc_state) & (stg_cities.city == by_city.presc_city))
    .select(
        "city", "state_name", "county_name", "population",
        F.when(F.col("zips").isNull(), F.lit(0)).otherwise(F.size(F.split("zips", " "))).cast("long").alias("zip_counts"),
        "trx_counts", "presc_counts",
    )
)

# top_prescribers: dense rank by claims within each state, 20 to 50 years of experience.
ranked = stg_prescribers.where(F.col("years_of_exp").between(20, 50)).withColumn(
    "state_rank", F.dense_rank().over(Window.partitionBy("presc_state").orderBy(F.col("trx_cnt").desc_nulls_last()))
)
top_prescribers = ranked.where(F.col("state_rank") <= 5).select(
    "presc_id", "presc_fullname", "presc_state", "country_name", "years_of_exp", "trx_cnt", "total_day_supply", "total_drug_cost"
)

# Validate (row count, schema, first rows) and write, as the original job did.
stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime())
counts = {}
for name, df, fmt in [("city_report", city_report, "json"), ("top_prescribers", top_prescribers, "orc")]:
    df = df.cache()
    counts[name] = df.count()
    print(f"{name}: {counts[name]} rows")
    df.printSchema()
    df.show(5, truncate=False)
    w = df.write.mode("overwrite")
    target = os.path.join(out_dir, name, stamp)
    if fmt == "json":
        w.option("compression", "bzip2").json(target)
    else:
        w.option("compression", "snappy").orc(target)

spark.stop()
print(json.dumps({"city_report": counts["city_report"], "top_prescribers": counts["top_prescribers"], "seconds": round(time.time() - t_start, 2)}))
